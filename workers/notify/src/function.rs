//! `notify.send`: `with: {shop, order_id, buyer_id, channel, template, params}` → whether the
//! buyer was contacted (see docs/functions/notify.send.md). The order of decisions: a call that
//! already finished returns its first result; the template and the channel must be configured;
//! a channel that cannot reach the buyer is `no_channel`; then, in one ledger transaction, the
//! minimum gap and quiet hours (reminders only), and the reservation; then the phone lookup and
//! the send.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use shopflow_connectors::client::Clock;
use shopflow_connectors::model::mask_phone;
use shopflow_connectors::{Connectors, Operation, Platform, Secret};
use shopflow_core::{CallContext, Function, WorkflowError};

use crate::aliyun::{Account, Action, AliyunClient};
use crate::args::{SendArgs, invalid};
use crate::ledger::{Begin, Contact, Ledger};
use crate::outcome::{Channel, Outcome, Purpose, Reason};
use crate::problem::{self, AliyunCall};
use crate::settings::Settings;
use crate::template;

/// The function and everything it shares between calls.
pub struct NotifySend {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    connectors: Connectors,
    ledger: Ledger,
    aliyun: AliyunClient,
    clock: Clock,
}

/// How the message goes out, once the configuration was checked.
enum Route {
    /// Pinduoduo's buyer message with this text.
    Platform { text: String },
    /// An Aliyun call to the receiver's phone.
    Aliyun(AliyunRoute),
}

/// An SMS or a voice call, as configured.
struct AliyunRoute {
    account: Account,
    action: Action,
    /// `SignName` / `CalledShowNumber` and its value.
    sender: (&'static str, String),
    /// `TemplateCode` / `TtsCode` and its value.
    code: (&'static str, String),
    /// `TemplateParam` / `TtsParam`.
    param_name: &'static str,
}

/// A failed send and whether the message may have gone out all the same.
type SendFailure = (WorkflowError, bool);

impl NotifySend {
    /// The function over `settings`, sending through `connectors` and Aliyun, recording in
    /// `ledger`, reading the time from `clock`.
    pub fn new(settings: Settings, connectors: Connectors, ledger: Ledger, clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                connectors,
                ledger,
                aliyun: AliyunClient::new(),
                clock,
            }),
        }
    }
}

impl Function for NotifySend {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let instance = ctx.instance.clone();
            inner
                .send(&ctx.idempotency_key, &args)
                .await
                .map_err(|e| e.at(&instance))
        })
    }

    fn summary(&self) -> &'static str {
        "Reminds a buyer by platform message, Aliyun SMS or Aliyun voice call, within quiet hours and a per-buyer contact limit."
    }
}

impl Inner {
    async fn send(&self, key: &str, args: &Value) -> Result<Value, WorkflowError> {
        let args = SendArgs::parse(args)?;
        if let Some(first) = self.ledger.result(key).map_err(|e| problem::ledger(&e))? {
            return Ok(first);
        }
        let contact = Contact {
            key,
            shop: &args.shop,
            buyer: &args.buyer_id,
            order_id: &args.order_id,
            channel: args.channel.as_str(),
            reminder: args.purpose == Purpose::Reminder,
        };
        let Some(route) = self.route(&args)? else {
            return self.skip_no_channel(&contact, args.channel);
        };
        let now = (self.clock)();
        let quiet = self.settings.quiet_hours_of(&args.shop);
        let gap_ms = i64::try_from(self.settings.min_gap.as_millis()).unwrap_or(i64::MAX);
        let channel = args.channel;
        let purpose = args.purpose;
        let decide = |last: Option<i64>| {
            if purpose == Purpose::Service {
                return None;
            }
            let after_gap = last.map(|l| l.saturating_add(gap_ms)).filter(|t| *t > now);
            let reason = match (after_gap, quiet.ends_after(now)) {
                (None, None) => return None,
                (Some(_), _) => Reason::RecentContact,
                (None, Some(_)) => Reason::QuietHours,
            };
            let next = quiet.next_open(after_gap.unwrap_or(now));
            Some(Outcome::skipped(channel, reason, Some((quiet.format(next), next))).to_json())
        };
        match self
            .ledger
            .begin(&contact, now, decide)
            .map_err(|e| problem::ledger(&e))?
        {
            Begin::Replay(first) | Begin::Skipped(first) => return Ok(first),
            Begin::Send => {}
        }
        let sent = match route {
            Route::Platform { text } => self.send_platform(&args, key, text).await,
            Route::Aliyun(route) => {
                let phone = match self.receiver_phone(&args).await {
                    Ok(Some(phone)) => phone,
                    Ok(None) => return self.skip_no_channel(&contact, channel),
                    Err(e) => {
                        self.release(key);
                        return Err(e);
                    }
                };
                self.send_aliyun(&args, key, route, &phone).await
            }
        };
        match sent {
            Ok(outcome) => {
                let result = outcome.to_json();
                self.ledger
                    .sent(key, (self.clock)(), &result)
                    .map_err(|e| problem::ledger(&e))?;
                tracing::info!(shop = %args.shop, order = %args.order_id, channel = channel.as_str(), template = %args.template, "buyer contacted");
                Ok(result)
            }
            Err((error, maybe_sent)) => {
                if !maybe_sent {
                    self.release(key);
                }
                tracing::warn!(shop = %args.shop, order = %args.order_id, channel = channel.as_str(), maybe_sent, error = %error, "buyer not contacted");
                Err(error)
            }
        }
    }

    /// Checks the template and the channel's settings; `None` when the channel cannot reach
    /// the buyer at all (buyer messages on a platform other than Pinduoduo).
    fn route(&self, args: &SendArgs) -> Result<Option<Route>, WorkflowError> {
        let path = self.settings.path.display();
        let client = self.connectors.shop(&args.shop).ok_or_else(|| {
            let names = self.connectors.names();
            problem::configuration(
                "Unknown shop",
                format!(
                    "`notify.send`: no shop `{}` in {path} (configured: {}); add a [[shop]] table or fix `with.shop`",
                    args.shop,
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                ),
            )
        })?;
        let template = self.settings.templates.get(&args.template).ok_or_else(|| {
            let names: Vec<&str> = self.settings.templates.keys().map(String::as_str).collect();
            problem::configuration(
                "Unknown template",
                format!(
                    "`notify.send`: no template `{}` in `[notify.templates]` of {path} (configured: {}); add `[notify.templates.{}]` or fix `with.template`",
                    args.template,
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") },
                    args.template
                ),
            )
        })?;
        let missing_code = |key: &str| {
            problem::configuration(
                "Template not set up for this channel",
                format!(
                    "`notify.send`: template `{}` has no `{key}` for channel `{}`; add `{key} = \"…\"` to `[notify.templates.{}]` in {path}",
                    args.template,
                    args.channel.as_str(),
                    args.template
                ),
            )
        };
        let missing_channel = |table: &str, keys: &str| {
            problem::configuration(
                "Channel not configured",
                format!(
                    "`notify.send`: channel `{}` needs `[{table}]` in {path} with {keys}",
                    args.channel.as_str()
                ),
            )
        };
        Ok(match args.channel {
            Channel::Platform => {
                let text = template
                    .text
                    .as_deref()
                    .ok_or_else(|| missing_code("text"))?;
                let text = template::render(text, &args.params, &args.order_id, &args.shop)
                    .map_err(|name| {
                        invalid(format!(
                            "`notify.send`: template `{}` uses `{{{name}}}` but `params` has no `{name}`",
                            args.template
                        ))
                    })?;
                (client.shop().platform == Platform::Pdd).then_some(Route::Platform { text })
            }
            Channel::Sms => {
                let sms = self.settings.sms.as_ref().ok_or_else(|| {
                    missing_channel(
                        "notify.sms",
                        "`access_key_id`, `access_key_secret` and `sign_name`",
                    )
                })?;
                let code = template
                    .sms_code
                    .clone()
                    .ok_or_else(|| missing_code("sms_code"))?;
                Some(Route::Aliyun(AliyunRoute {
                    account: sms.account.clone(),
                    action: Action::SendSms,
                    sender: ("SignName", sms.sign_name.clone()),
                    code: ("TemplateCode", code),
                    param_name: "TemplateParam",
                }))
            }
            Channel::Voice => {
                let voice = self.settings.voice.as_ref().ok_or_else(|| {
                    missing_channel(
                        "notify.voice",
                        "`access_key_id`, `access_key_secret` and `called_show_number`",
                    )
                })?;
                let code = template
                    .tts_code
                    .clone()
                    .ok_or_else(|| missing_code("tts_code"))?;
                Some(Route::Aliyun(AliyunRoute {
                    account: voice.account.clone(),
                    action: Action::SingleCallByTts,
                    sender: ("CalledShowNumber", voice.called_show_number.clone()),
                    code: ("TtsCode", code),
                    param_name: "TtsParam",
                }))
            }
        })
    }

    /// Sends the SMS or makes the call to `phone`, with the call's key as `OutId`.
    async fn send_aliyun(
        &self,
        args: &SendArgs,
        key: &str,
        route: AliyunRoute,
        phone: &Secret,
    ) -> Result<Outcome, SendFailure> {
        let number = match route.action {
            Action::SendSms => "PhoneNumbers",
            Action::SingleCallByTts => "CalledNumber",
        };
        let mut business = vec![
            (number, phone.expose().to_owned()),
            route.sender,
            (route.code.0, route.code.1.clone()),
            ("OutId", key.to_owned()),
        ];
        if let Some(p) = template::aliyun_param(&args.params) {
            business.push((route.param_name, p));
        }
        let answer = self
            .aliyun
            .call(&route.account, route.action, business, (self.clock)())
            .await;
        match answer {
            Ok(accepted) => Ok(Outcome::sent(
                args.channel,
                Some(accepted.id),
                Some(mask_phone(phone.expose())),
            )),
            Err(e) => {
                let call = AliyunCall {
                    channel: args.channel,
                    shop: &args.shop,
                    order_id: &args.order_id,
                    template: &args.template,
                    code: &route.code.1,
                };
                Err((problem::aliyun(&e, &call), e.maybe_sent()))
            }
        }
    }

    /// Sends the platform message.
    async fn send_platform(
        &self,
        args: &SendArgs,
        key: &str,
        text: String,
    ) -> Result<Outcome, SendFailure> {
        let Some(client) = self.connectors.shop(&args.shop) else {
            return Ok(Outcome::skipped(Channel::Platform, Reason::NoChannel, None));
        };
        let op = Operation::MessageSend {
            order_id: args.order_id.clone(),
            text,
        };
        match client.call(&op, key).await {
            Ok(_) => Ok(Outcome::sent(Channel::Platform, None, None)),
            Err(e) => {
                let maybe_sent = matches!(
                    e,
                    shopflow_connectors::Error::Timeout { .. }
                        | shopflow_connectors::Error::Unavailable { .. }
                        | shopflow_connectors::Error::Malformed { .. }
                );
                Err((
                    e.to_workflow_error(client.shop().platform, &args.shop),
                    maybe_sent,
                ))
            }
        }
    }

    /// The receiver's phone of the order, through the shop's platform.
    async fn receiver_phone(&self, args: &SendArgs) -> Result<Option<Secret>, WorkflowError> {
        let platform = self
            .connectors
            .shop(&args.shop)
            .map_or(Platform::Pdd, |c| c.shop().platform);
        self.connectors
            .receiver_phone(&args.shop, &args.order_id)
            .await
            .map_err(|e| {
                let mut w = e.to_workflow_error(platform, &args.shop);
                w.detail = Some(format!(
                    "`notify.send` could not read the receiver's phone number of order `{}`, so nothing was sent: {}",
                    args.order_id,
                    w.detail.unwrap_or_default()
                ));
                w
            })
    }

    /// Records and returns `no_channel`.
    fn skip_no_channel(
        &self,
        contact: &Contact<'_>,
        channel: Channel,
    ) -> Result<Value, WorkflowError> {
        let result = Outcome::skipped(channel, Reason::NoChannel, None).to_json();
        self.ledger
            .skip(contact, (self.clock)(), &result)
            .map_err(|e| problem::ledger(&e))
    }

    /// Frees the contact this call reserved (nothing went out); a failure only leaves the
    /// buyer blocked until the gap passes, so it is logged.
    fn release(&self, key: &str) {
        if let Err(e) = self.ledger.release(key) {
            tracing::warn!(error = %e, "could not free a contact reservation");
        }
    }
}
