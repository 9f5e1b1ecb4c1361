//! Aliyun's Dysms (`SendSms`) and Dyvms (`SingleCallByTts`) RPC APIs: signed GET requests
//! ([`sign`]), built by [`request`], answers read by [`answer`] into an accepted message id or
//! an error that says whether anything may have been sent and whether a retry can help.

pub mod answer;
pub mod request;
pub mod sign;

use std::time::Duration;

use shopflow_connectors::Secret;

pub use answer::{Accepted, AliyunError, CodeClass};
pub use request::Action;

/// Where the real APIs are.
pub const SMS_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";
/// Where the real voice API is.
pub const VOICE_ENDPOINT: &str = "https://dyvmsapi.aliyuncs.com/";

/// An AccessKey pair and the endpoint it calls.
#[derive(Debug, Clone)]
pub struct Account {
    /// The API's URL (the real one, or the sandbox's `/aliyun/sms`, `/aliyun/voice`).
    pub endpoint: String,
    /// The AccessKey id (public: it names the key).
    pub access_key_id: String,
    /// The AccessKey secret that signs the calls.
    pub access_key_secret: Secret,
    /// `RegionId` (`cn-hangzhou` for both APIs).
    pub region_id: String,
    /// How long one call may take.
    pub timeout: Duration,
}

/// Sends signed calls to Dysms and Dyvms.
#[derive(Debug, Clone)]
pub struct AliyunClient {
    http: reqwest::Client,
}

impl Default for AliyunClient {
    fn default() -> Self {
        Self::new()
    }
}

impl AliyunClient {
    /// A client that follows no redirects (a redirect would re-send the signed query).
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { http }
    }

    /// Calls `action` with its business parameters, signed with `account` at `now_ms`.
    pub async fn call(
        &self,
        account: &Account,
        action: Action,
        business: Vec<(&'static str, String)>,
        now_ms: i64,
    ) -> Result<Accepted, AliyunError> {
        let params = request::signed_params(account, action, business, now_ms, &request::nonce());
        let url = request::url(&account.endpoint, &params);
        // `without_url`: the query carries the buyer's number and the signature.
        let response = self
            .http
            .get(url)
            .timeout(account.timeout)
            .send()
            .await
            .map_err(|e| AliyunError::transport(&e.without_url()))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| AliyunError::transport(&e.without_url()))?;
        answer::read(action, status, &body)
    }
}
