//! The `platform.*` functions flows call (`call: platform.refund.agree`, `with: {shop, …}`):
//! arguments checked and turned into an [`Operation`], the shop's client run with the step's
//! idempotency key, platform failures as RFC 7807 errors. Documented in `docs/functions/`.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use shopflow_core::{
    ArtifactError, ArtifactStore, CallContext, ErrorKind, Function, FunctionRegistry, WorkflowError,
};

use crate::client::{Connectors, Invoice, Operation, PayerKind};
use crate::error::Error;
use crate::model::RefundStatus;
use crate::money::{fen, parse_yuan};

/// Which function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    OrderGet,
    OrdersUnpaid,
    RefundGet,
    RefundAgree,
    RefundRefuse,
    ReturnAgree,
    ReturnRefuse,
    ReturnAddresses,
    MessageSend,
    InvoiceUpload,
    InvoiceRequests,
}

const ALL: [(&str, Kind, &str); 11] = [
    (
        "platform.order.get",
        Kind::OrderGet,
        "Reads an order from the shop's platform (buyer data masked).",
    ),
    (
        "platform.orders.unpaid",
        Kind::OrdersUnpaid,
        "Lists the shop's orders waiting for payment (Taobao, Douyin, Shopify).",
    ),
    (
        "platform.refund.get",
        Kind::RefundGet,
        "Reads a refund or return request.",
    ),
    (
        "platform.refund.agree",
        Kind::RefundAgree,
        "Agrees to refund a request (money back, no goods back).",
    ),
    (
        "platform.refund.refuse",
        Kind::RefundRefuse,
        "Refuses a refund request with a reason.",
    ),
    (
        "platform.return.agree",
        Kind::ReturnAgree,
        "Agrees to a return and gives the return address.",
    ),
    (
        "platform.return.refuse",
        Kind::ReturnRefuse,
        "Refuses a return request with a reason.",
    ),
    (
        "platform.return.addresses",
        Kind::ReturnAddresses,
        "Lists the shop's return addresses.",
    ),
    (
        "platform.message.send",
        Kind::MessageSend,
        "Sends the buyer of an order a message through the platform (Pinduoduo).",
    ),
    (
        "platform.invoice.upload",
        Kind::InvoiceUpload,
        "Uploads an issued e-invoice (PDF) for an order (Taobao, Pinduoduo).",
    ),
    (
        "platform.invoice.requests",
        Kind::InvoiceRequests,
        "Lists the invoice requests waiting to be issued (Pinduoduo).",
    ),
];

/// Registers every `platform.*` function; calls go to the shops of `connectors`, and
/// `platform.invoice.upload` reads a `pdf` artifact from `artifacts`.
pub fn register(
    registry: &mut FunctionRegistry,
    connectors: Connectors,
    artifacts: Option<ArtifactStore>,
) {
    for (name, kind, summary) in ALL {
        registry.register(
            name,
            Arc::new(PlatformFunction {
                name,
                kind,
                summary,
                connectors: connectors.clone(),
                artifacts: artifacts.clone(),
            }),
        );
    }
}

struct PlatformFunction {
    name: &'static str,
    kind: Kind,
    summary: &'static str,
    connectors: Connectors,
    artifacts: Option<ArtifactStore>,
}

impl Function for PlatformFunction {
    fn call(
        &self,
        ctx: CallContext,
        args: Value,
    ) -> BoxFuture<'static, Result<Value, WorkflowError>> {
        let name = self.name;
        let kind = self.kind;
        let connectors = self.connectors.clone();
        let artifacts = self.artifacts.clone();
        Box::pin(async move {
            let at = |e: WorkflowError| e.at(&ctx.instance);
            let args = Args::new(name, &args).map_err(at)?;
            let shop_name = args.string("shop").map_err(at)?;
            let client = connectors.shop(&shop_name).cloned().ok_or_else(|| {
                at(WorkflowError::new(ErrorKind::Configuration, "Unknown shop")
                    .with_detail(format!(
                        "`{name}`: no shop `{shop_name}` in shopflow.toml (configured: {}); add a [[shop]] table or fix `with.shop`",
                        if connectors.names().is_empty() { "none".to_owned() } else { connectors.names().join(", ") }
                    ))
                    .retryable(false))
            })?;
            let platform = client.shop().platform;
            let to_flow = |e: Error| at(e.to_workflow_error(platform, &shop_name));
            let mut op = operation(kind, &args, artifacts.as_ref()).map_err(at)?;
            // Shopify's return approval takes no address and JD offers none (its error then
            // names `return.agree`); the others need the shop's default.
            if let Operation::ReturnAgree { address_id, .. } = &mut op
                && address_id.is_empty()
                && !matches!(platform, crate::Platform::Shopify | crate::Platform::Jd)
            {
                *address_id = default_address(&client, &ctx.idempotency_key)
                    .await
                    .map_err(to_flow)?;
            }
            match client.call(&op, &ctx.idempotency_key).await {
                Err(Error::Refused { detail }) => {
                    // A retried step whose first attempt took effect is refused as "already
                    // in that state" by gateways that ignore our de-duplication field.
                    if already_done(&client, &op).await {
                        Ok(json!({"done": true, "already": true}))
                    } else {
                        Err(to_flow(Error::Refused { detail }))
                    }
                }
                other => other.map_err(to_flow),
            }
        })
    }

    fn summary(&self) -> &'static str {
        self.summary
    }

    fn has_effects(&self) -> bool {
        // Reads may be repeated after a crash without harm.
        !matches!(
            self.kind,
            Kind::OrderGet
                | Kind::OrdersUnpaid
                | Kind::RefundGet
                | Kind::ReturnAddresses
                | Kind::InvoiceRequests
        )
    }
}

async fn default_address(client: &crate::client::ShopClient, key: &str) -> Result<String, Error> {
    let list = client.call(&Operation::ReturnAddresses, key).await?;
    let addrs = list
        .get("addresses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    addrs
        .iter()
        .find(|a| a.get("default").and_then(Value::as_bool) == Some(true))
        .or_else(|| addrs.first())
        .and_then(|a| a.get("id").and_then(Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| Error::Invalid {
            detail: "the shop has no return address; add one on the platform or pass `address_id`"
                .into(),
        })
}

/// Whether the refund is already where `op` would have put it.
async fn already_done(client: &crate::client::ShopClient, op: &Operation) -> bool {
    let (refund_id, order_id, wanted): (&str, &Option<String>, &[RefundStatus]) = match op {
        Operation::RefundAgree {
            refund_id,
            order_id,
            ..
        } => (refund_id, order_id, &[RefundStatus::Refunded]),
        Operation::ReturnAgree {
            refund_id,
            order_id,
            ..
        } => (
            refund_id,
            order_id,
            &[
                RefundStatus::WaitingBuyerReturn,
                RefundStatus::BuyerReturned,
                RefundStatus::Refunded,
            ],
        ),
        Operation::RefundRefuse {
            refund_id,
            order_id,
            ..
        }
        | Operation::ReturnRefuse {
            refund_id,
            order_id,
            ..
        } => (refund_id, order_id, &[RefundStatus::Refused]),
        _ => return false,
    };
    let get = Operation::RefundGet {
        refund_id: refund_id.to_owned(),
        order_id: order_id.clone(),
    };
    let Ok(refund) = client.call(&get, "").await else {
        return false;
    };
    let status = refund
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    wanted.iter().any(|w| {
        serde_json::to_value(w)
            .ok()
            .and_then(|v| v.as_str().map(|s| s == status))
            == Some(true)
    })
}

fn operation(
    kind: Kind,
    a: &Args,
    artifacts: Option<&ArtifactStore>,
) -> Result<Operation, WorkflowError> {
    Ok(match kind {
        Kind::OrderGet => Operation::OrderGet {
            order_id: a.string("order_id")?,
        },
        Kind::OrdersUnpaid => Operation::UnpaidOrders {
            limit: a
                .optional_int("limit")?
                .map_or(100, |l| l.clamp(1, 250) as u32),
        },
        Kind::RefundGet => Operation::RefundGet {
            refund_id: a.string("refund_id")?,
            order_id: a.optional_string("order_id")?,
        },
        Kind::RefundAgree => Operation::RefundAgree {
            refund_id: a.string("refund_id")?,
            order_id: a.optional_string("order_id")?,
            amount_fen: a.optional_money("amount")?,
        },
        Kind::RefundRefuse => Operation::RefundRefuse {
            refund_id: a.string("refund_id")?,
            order_id: a.optional_string("order_id")?,
            reason: a.string("reason")?,
        },
        Kind::ReturnAgree => Operation::ReturnAgree {
            refund_id: a.string("refund_id")?,
            order_id: a.optional_string("order_id")?,
            address_id: a.optional_string("address_id")?.unwrap_or_default(),
        },
        Kind::ReturnRefuse => Operation::ReturnRefuse {
            refund_id: a.string("refund_id")?,
            order_id: a.optional_string("order_id")?,
            reason: a.string("reason")?,
        },
        Kind::ReturnAddresses => Operation::ReturnAddresses,
        Kind::InvoiceRequests => Operation::InvoiceRequests {
            limit: a
                .optional_int("limit")?
                .map_or(50, |l| l.clamp(1, 100) as u32),
        },
        Kind::MessageSend => Operation::MessageSend {
            order_id: a.string("order_id")?,
            text: a.string("text")?,
        },
        Kind::InvoiceUpload => {
            let pdf = invoice_pdf(a, artifacts)?;
            let payer_kind = match a.optional_string("payer_kind")?.as_deref() {
                None | Some("person") => PayerKind::Person,
                Some("company") => PayerKind::Company,
                Some(other) => {
                    return Err(a.invalid(
                        "payer_kind",
                        &format!("is `{other}`; use `person` or `company`"),
                    ));
                }
            };
            Operation::InvoiceUpload(Invoice {
                order_id: a.string("order_id")?,
                number: a.string("invoice_number")?,
                issue_date: a.string("issue_date")?,
                amount_fen: a.money("amount")?,
                tax_fen: a.money("tax")?,
                payer_kind,
                payer_name: a.string("payer_name")?,
                payer_tax_id: a.optional_string("payer_tax_id")?,
                pdf,
            })
        }
    })
}

/// The invoice PDF of `platform.invoice.upload`: an artifact in `pdf` (as `invoice.render`
/// returns it) or the file itself in `pdf_base64`.
fn invoice_pdf(a: &Args, artifacts: Option<&ArtifactStore>) -> Result<Vec<u8>, WorkflowError> {
    use base64::Engine as _;
    let artifact = a.map.get("pdf").filter(|v| !v.is_null());
    let (arg, pdf) = match (artifact, a.optional_string("pdf_base64")?) {
        (Some(_), Some(_)) => {
            return Err(a.invalid("pdf", "and `pdf_base64` are both given; pass one of them"));
        }
        (None, None) => {
            return Err(a.invalid(
                "pdf",
                "is missing; pass the artifact `invoice.render` returned (`pdf: ${ .rendered.pdf }`) or the file as `pdf_base64`",
            ));
        }
        (None, Some(b64)) => (
            "pdf_base64",
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| a.invalid("pdf_base64", &format!("is not base64 ({e})")))?,
        ),
        (Some(v), None) => {
            let reference = v
                .as_str()
                .or_else(|| v.get("artifact").and_then(Value::as_str))
                .ok_or_else(|| {
                    a.invalid(
                        "pdf",
                        &format!(
                            "must be an artifact (`{{artifact: \"sha256:…\", …}}` as `invoice.render` returns it, or the `sha256:…` string), got {v}"
                        ),
                    )
                })?;
            let store = artifacts.ok_or_else(|| {
                WorkflowError::new(ErrorKind::Configuration, "No artifact store").with_detail(
                    format!(
                        "`{}`: `pdf` names an artifact, but this shopflow has no data directory to read it from; pass the file as `pdf_base64`",
                        a.function
                    ),
                )
            })?;
            let bytes = match store.get(reference) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    return Err(a.invalid(
                        "pdf",
                        &format!(
                            "names `{reference}`, which is not in this shopflow's artifact store (another data directory, or deleted)"
                        ),
                    ));
                }
                Err(ArtifactError::BadReference(_)) => {
                    return Err(a.invalid(
                        "pdf",
                        &format!("`{reference}` is not an artifact reference (`sha256:` and 64 hex digits)"),
                    ));
                }
                Err(e) => {
                    return Err(
                        WorkflowError::new(ErrorKind::Runtime, "Artifact unreadable")
                            .with_detail(format!("`{}`: `pdf`: {e}; retrying can help", a.function))
                            .retryable(true),
                    );
                }
            };
            ("pdf", bytes)
        }
    };
    if !pdf.starts_with(b"%PDF-") {
        return Err(a.invalid(arg, "is not a PDF (it must start with `%PDF-`)"));
    }
    Ok(pdf)
}

/// A function's `with:` arguments, with errors that name the function and the argument.
struct Args<'a> {
    function: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    fn new(function: &'static str, v: &'a Value) -> Result<Self, WorkflowError> {
        let map = v.as_object().ok_or_else(|| {
            WorkflowError::new(ErrorKind::Validation, "Invalid arguments").with_detail(format!(
                "`{function}` takes a mapping of arguments (`with: {{shop: …}}`), got {v}"
            ))
        })?;
        Ok(Self { function, map })
    }

    fn invalid(&self, arg: &str, what: &str) -> WorkflowError {
        WorkflowError::new(ErrorKind::Validation, "Invalid arguments")
            .with_detail(format!("`{}`: `{arg}` {what}", self.function))
    }

    fn optional_string(&self, arg: &str) -> Result<Option<String>, WorkflowError> {
        match self.map.get(arg) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => {
                Err(self.invalid(arg, &format!("must be a non-empty string, got {other}")))
            }
        }
    }

    fn string(&self, arg: &str) -> Result<String, WorkflowError> {
        self.optional_string(arg)?
            .ok_or_else(|| self.invalid(arg, "is missing"))
    }

    fn optional_int(&self, arg: &str) -> Result<Option<i64>, WorkflowError> {
        match self.map.get(arg) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => fen(v)
                .map(Some)
                .ok_or_else(|| self.invalid(arg, &format!("must be a whole number, got {v}"))),
        }
    }

    /// Money as a decimal string (`"12.30"`) or an integer `{fen: 1230}`-free number of yuan.
    fn optional_money(&self, arg: &str) -> Result<Option<i64>, WorkflowError> {
        match self.map.get(arg) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => parse_yuan(s)
                .map(Some)
                .ok_or_else(|| self.invalid(arg, &format!("`{s}` is not an amount like \"12.30\""))),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().map(|y| y * 100)),
            Some(other) => Err(self.invalid(
                arg,
                &format!("must be a decimal string like \"12.30\" (no floating point for money), got {other}"),
            )),
        }
    }

    fn money(&self, arg: &str) -> Result<i64, WorkflowError> {
        self.optional_money(arg)?
            .ok_or_else(|| self.invalid(arg, "is missing"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_with_the_function_and_argument_named() {
        let v = json!({"shop": "s", "refund_id": "1", "amount": 12.3});
        let a = Args::new("platform.refund.agree", &v).unwrap();
        let e = operation(Kind::RefundAgree, &a, None).unwrap_err();
        assert!(
            e.detail
                .unwrap()
                .starts_with("`platform.refund.agree`: `amount` must be a decimal string")
        );
        let v = json!({"shop": "s", "refund_id": "1", "amount": "12.30"});
        let a = Args::new("platform.refund.agree", &v).unwrap();
        assert_eq!(
            operation(Kind::RefundAgree, &a, None).unwrap(),
            Operation::RefundAgree {
                refund_id: "1".into(),
                order_id: None,
                amount_fen: Some(1230)
            }
        );
        let v = json!({"shop": "s"});
        let a = Args::new("platform.order.get", &v).unwrap();
        assert_eq!(
            operation(Kind::OrderGet, &a, None)
                .unwrap_err()
                .detail
                .as_deref(),
            Some("`platform.order.get`: `order_id` is missing")
        );
    }
    #[test]
    fn invoice_pdf_from_an_artifact_or_base64() {
        let dir = std::env::temp_dir().join(format!("shopflow-upload-pdf-{}", std::process::id()));
        let store = ArtifactStore::open(&dir).unwrap();
        let stored = store
            .put(b"%PDF-1.7 invoice", "application/pdf", "invoice.pdf")
            .unwrap();
        let not_pdf = store.put(b"hello", "text/plain", "x.txt").unwrap();
        let detail = |args: Value, store: Option<&ArtifactStore>| {
            let a = Args::new("platform.invoice.upload", &args).unwrap();
            invoice_pdf(&a, store).map_err(|e| e.detail.unwrap_or_default())
        };
        let object = serde_json::to_value(&stored).unwrap();
        assert_eq!(
            detail(json!({ "pdf": object }), Some(&store)).unwrap(),
            b"%PDF-1.7 invoice"
        );
        assert_eq!(
            detail(json!({"pdf": stored.artifact}), Some(&store)).unwrap(),
            b"%PDF-1.7 invoice"
        );
        assert_eq!(
            detail(json!({"pdf_base64": "JVBERi0xLjc="}), None).unwrap(),
            b"%PDF-1.7"
        );
        let missing = format!("sha256:{}", "0".repeat(64));
        let errors = [
            detail(json!({"pdf": missing}), Some(&store)),
            detail(json!({"pdf": not_pdf.artifact}), Some(&store)),
            detail(json!({"pdf": "md5:00"}), Some(&store)),
            detail(json!({"pdf": 7}), Some(&store)),
            detail(json!({"pdf": stored.artifact}), None),
            detail(
                json!({"pdf": stored.artifact, "pdf_base64": "JVBERi0xLjc="}),
                Some(&store),
            ),
            detail(json!({}), Some(&store)),
        ];
        let _ = std::fs::remove_dir_all(&dir);
        let errors: Vec<String> = errors.into_iter().map(|r| r.unwrap_err()).collect();
        assert_eq!(
            errors[0],
            format!(
                "`platform.invoice.upload`: `pdf` names `{missing}`, which is not in this shopflow's artifact store (another data directory, or deleted)"
            )
        );
        assert_eq!(
            errors[1],
            "`platform.invoice.upload`: `pdf` is not a PDF (it must start with `%PDF-`)"
        );
        assert!(
            errors[2].contains("`md5:00` is not an artifact reference"),
            "{}",
            errors[2]
        );
        assert!(
            errors[3].contains("`pdf` must be an artifact"),
            "{}",
            errors[3]
        );
        assert!(errors[4].contains("no data directory"), "{}", errors[4]);
        assert!(errors[5].contains("both given"), "{}", errors[5]);
        assert!(errors[6].contains("`pdf` is missing"), "{}", errors[6]);
    }
}
