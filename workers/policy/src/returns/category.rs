//! The kinds of goods the 7-day rule treats differently, and which of them the law excludes
//! outright.

use serde::{Deserialize, Serialize};

/// A kind of goods with its own return rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Made to the buyer's order (定做): excluded by law.
    CustomMade,
    /// Fresh or perishable (鲜活易腐): excluded by law.
    Perishable,
    /// Audio, video or software downloaded or unsealed by the buyer: excluded by law.
    DigitalUnsealed,
    /// Newspapers and periodicals already delivered: excluded by law.
    Periodical,
    /// Unfit for return once unsealed for health or hygiene: excluded only if confirmed.
    Hygiene,
    /// Loses much value once activated or tried: excluded only if confirmed.
    Activated,
    /// Near expiry or flawed, disclosed at sale: excluded only if confirmed.
    NearExpiry,
}

impl Category {
    /// Whether the law excludes these goods whatever the buyer confirmed.
    pub fn excluded_by_law(self) -> bool {
        matches!(
            self,
            Self::CustomMade | Self::Perishable | Self::DigitalUnsealed | Self::Periodical
        )
    }

    /// The name used in settings and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomMade => "custom_made",
            Self::Perishable => "perishable",
            Self::DigitalUnsealed => "digital_unsealed",
            Self::Periodical => "periodical",
            Self::Hygiene => "hygiene",
            Self::Activated => "activated",
            Self::NearExpiry => "near_expiry",
        }
    }

    /// In words, for reasons people read.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CustomMade => "custom-made goods",
            Self::Perishable => "fresh or perishable goods",
            Self::DigitalUnsealed => "downloaded or unsealed audio, video or software",
            Self::Periodical => "newspapers or periodicals",
            Self::Hygiene => "goods unfit for return once unsealed (hygiene)",
            Self::Activated => "goods that lose value once activated or tried",
            Self::NearExpiry => "near-expiry or flawed goods disclosed at sale",
        }
    }
}
