//! The labels a ticket gets, as the `shopflow classify` contract names them.

use serde::{Deserialize, Serialize};

/// Declares a label enum with its snake_case names, in the order the model's classes use.
macro_rules! label {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in class order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The contract's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the contract's name.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// The class index.
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
            }
        }
    };
}

label! {
    /// Which team a ticket goes to.
    Department {
        /// Shipping, delivery, tracking.
        Logistics = "logistics",
        /// Returns, exchanges, refunds of goods.
        Returns = "returns",
        /// Invoices (fapiao).
        Invoice = "invoice",
        /// Paying, charges, discounts.
        Payment = "payment",
        /// Questions about a product.
        Product = "product",
        /// Complaints about service or quality.
        Complaint = "complaint",
        /// Anything else.
        Other = "other",
    }
}

label! {
    /// How the buyer feels.
    Sentiment {
        /// Very angry or desperate.
        VeryNegative = "very_negative",
        /// Unhappy.
        Negative = "negative",
        /// Neither.
        Neutral = "neutral",
        /// Pleased.
        Positive = "positive",
        /// Delighted.
        VeryPositive = "very_positive",
    }
}

label! {
    /// How soon it needs an answer.
    Urgency {
        /// Whenever convenient.
        Low = "low",
        /// The usual service level.
        Normal = "normal",
        /// Time pressure or money at stake: first.
        High = "high",
    }
}
