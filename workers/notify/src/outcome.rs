//! What `notify.send` returns: whether the message went out, on which channel, and when it
//! did not, why and when the buyer may be contacted next.

use serde::Serialize;

/// How the buyer is contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The platform's buyer messages (`platform.message.send`; Pinduoduo only).
    Platform,
    /// An Aliyun SMS to the receiver's phone.
    Sms,
    /// An Aliyun text-to-speech call to the receiver's phone.
    Voice,
}

impl Channel {
    /// The name flows write.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Sms => "sms",
            Self::Voice => "voice",
        }
    }

    /// The channel called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "platform" => Some(Self::Platform),
            "sms" => Some(Self::Sms),
            "voice" => Some(Self::Voice),
            _ => None,
        }
    }
}

/// What the message is for, which decides the rules it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A reminder the buyer did not ask for (payment chasing): quiet hours apply, at most one
    /// per buyer per shop per `min_gap_hours`.
    Reminder,
    /// Something the buyer is waiting for (a return's voucher link, an answer): sent at any
    /// hour, neither held back by nor counted in the gap.
    Service,
}

impl Purpose {
    /// The purpose called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "reminder" => Some(Self::Reminder),
            "service" => Some(Self::Service),
            _ => None,
        }
    }
}

/// Why nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// It is quiet hours in the shop's time zone.
    QuietHours,
    /// The buyer was contacted less than `min_gap_hours` ago.
    RecentContact,
    /// The channel cannot reach this buyer (no buyer messages on the platform, no phone).
    NoChannel,
}

/// The function's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Whether the message was accepted for delivery.
    pub sent: bool,
    /// The channel asked for.
    pub channel: Channel,
    /// Why not, when not sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// When the buyer may be contacted again (RFC 3339 in the shop's offset), for quiet hours
    /// and recent contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_allowed_at: Option<String>,
    /// The same moment as unix milliseconds, for a flow's arithmetic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_allowed_ms: Option<i64>,
    /// The provider's id of the message (`BizId`, `CallId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The number contacted, masked (`138****5678`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Outcome {
    /// Sent on `channel`.
    pub fn sent(channel: Channel, message_id: Option<String>, to: Option<String>) -> Self {
        Self {
            sent: true,
            channel,
            reason: None,
            next_allowed_at: None,
            next_allowed_ms: None,
            message_id,
            to,
        }
    }

    /// Not sent, for `reason`; `next_allowed` as RFC 3339 text and unix ms.
    pub fn skipped(channel: Channel, reason: Reason, next_allowed: Option<(String, i64)>) -> Self {
        let (next_allowed_at, next_allowed_ms) = next_allowed.unzip();
        Self {
            sent: false,
            channel,
            reason: Some(reason),
            next_allowed_at,
            next_allowed_ms,
            message_id: None,
            to: None,
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
