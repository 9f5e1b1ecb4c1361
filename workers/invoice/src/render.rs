//! `invoice.render`'s arguments: what is printed, checked before a number is spent on it —
//! the lines add up to the totals to the fen, the rates are legal, the tax ids pass their
//! checks, the number (when given) fits the issue date.

use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use shopflow_connectors::money::format_fen;

use crate::args::Obj;
use crate::compute::{BuyerKind, MAX_LINES, MAX_TEXT, PRICE_SCALE, Party, QUANTITY_SCALE, party};
use crate::decimal::Decimal;
use crate::error::Error;
use crate::rate::TaxRate;
use crate::settings::{InvoiceKind, InvoiceSettings};
use crate::tax_ids::{Holder, check, normalize};
use crate::words::in_words;

/// Remarks are at most this long.
pub const MAX_REMARKS: usize = 500;

/// A line as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedLine {
    /// 项目名称.
    pub name: String,
    /// 规格型号.
    pub model: Option<String>,
    /// 单位.
    pub unit: Option<String>,
    /// 数量 (blank when absent).
    pub quantity: Option<Decimal>,
    /// 单价 (blank when absent).
    pub unit_price: Option<Decimal>,
    /// 金额, fen.
    pub amount: i64,
    /// 税率/征收率.
    pub rate: TaxRate,
    /// 税额, fen.
    pub tax: i64,
}

/// `with:` of `invoice.render`, read and checked; the number and date may still be open.
#[derive(Debug, Clone)]
pub struct Request {
    /// A number the flow already has; drawn from the sequence when absent.
    pub invoice_number: Option<String>,
    /// 开票日期; today (UTC+8, from the engine's clock) when absent.
    pub issue_date: Option<NaiveDate>,
    /// The kind.
    pub kind: InvoiceKind,
    /// The seller.
    pub seller: Party,
    /// The buyer (tax id normalised).
    pub buyer: Party,
    /// The lines.
    pub lines: Vec<PrintedLine>,
    /// 合计金额, fen.
    pub amount: i64,
    /// 合计税额, fen.
    pub tax: i64,
    /// 价税合计, fen.
    pub total: i64,
    /// 备注 after the order id.
    pub remarks: Option<String>,
    /// The order the invoice is for (printed in 备注).
    pub order_id: String,
    /// 开票人.
    pub issuer: String,
}

/// A request with its number and date decided: everything the page shows.
#[derive(Debug, Clone)]
pub struct Invoice {
    /// The request.
    pub request: Request,
    /// 发票号码.
    pub number: String,
    /// 开票日期.
    pub issue_date: NaiveDate,
}

/// Reads an issue date `YYYY-MM-DD` between 2000 and 2099 (numbers carry two year digits).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..2100).contains(&d.year()))
}

/// The first five digits of a number issued on `date`: year, province, channel.
pub fn number_prefix(date: NaiveDate, province: &str, channel: u8) -> String {
    format!("{:02}{province}{channel}", date.year() % 100)
}

impl Request {
    /// Reads `with:`, with `settings` for what the arguments leave out.
    pub fn from_args(args: &Value, settings: &InvoiceSettings) -> Result<Self, Error> {
        let with = Obj::new(
            "",
            args,
            "`issue_date`, `buyer`, `lines`, `amount`, `tax`, `total`, `order_id`, …",
        )?;
        with.allow_only(&[
            "invoice_number",
            "issue_date",
            "kind",
            "seller",
            "buyer",
            "lines",
            "amount",
            "tax",
            "total",
            "total_in_words",
            "remarks",
            "order_id",
            "issuer",
        ])?;
        let invoice_number = with.opt_string("invoice_number", 20)?;
        if let Some(n) = &invoice_number
            && (n.len() != 20 || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::invalid(
                "/invoice_number",
                "must be 20 digits (2 year, 2 province, 1 channel, 15 sequence); leave it out to have one drawn from the sequence",
            ));
        }
        let issue_date = with
            .opt_string("issue_date", 40)?
            .map(|d| {
                parse_date(&d).ok_or_else(|| {
                    Error::invalid(
                        "/issue_date",
                        format!("`{d}` is not a date YYYY-MM-DD in 2000–2099"),
                    )
                })
            })
            .transpose()?;
        if let (Some(n), Some(d)) = (&invoice_number, issue_date)
            && n[..2] != format!("{:02}", d.year() % 100)
        {
            return Err(Error::invalid(
                "/invoice_number",
                format!(
                    "starts with year {} but `issue_date` is in {}; a number's first two digits are its year",
                    &n[..2],
                    d.year()
                ),
            ));
        }
        let kind = match with.opt_string("kind", 20)?.as_deref() {
            None => settings.kind,
            Some("normal") => InvoiceKind::Normal,
            Some("special") => InvoiceKind::Special,
            Some(other) => {
                return Err(Error::invalid(
                    "/kind",
                    format!("is `{other}`; use `normal` (普通发票) or `special` (增值税专用发票)"),
                ));
            }
        };

        let seller = match party(&with, "seller", &[])? {
            Some((p, _)) => p,
            None => settings.seller().ok_or_else(|| {
                Error::invalid(
                    "/seller",
                    "is missing; give `{name, tax_id}` or set `[invoice.seller]` in shopflow.toml",
                )
            })?,
        };
        let seller_id = seller.tax_id.as_deref().ok_or_else(|| {
            Error::invalid(
                "/seller/tax_id",
                "is missing; the seller's unified social credit code is on every invoice",
            )
        })?;
        check(seller_id, Holder::Organisation).map_err(|why| {
            Error::invalid("/seller/tax_id", format!("(the seller's tax id) {why}"))
        })?;
        let seller = Party {
            tax_id: Some(normalize(seller_id)),
            ..seller
        };

        let (buyer, buyer_obj) = party(&with, "buyer", &["kind"])?
            .ok_or_else(|| Error::invalid("/buyer", "is missing; give `{name, kind, tax_id?}`"))?;
        let buyer_kind = BuyerKind::from_args(&buyer_obj, "kind")?;
        match (&buyer.tax_id, buyer_kind, kind) {
            (None, _, InvoiceKind::Special) => {
                return Err(Error::invalid(
                    "/buyer/tax_id",
                    "is missing; a 增值税专用发票 (`kind: special`) is for a company buyer with its tax id",
                ));
            }
            (None, Some(BuyerKind::Company), _) => {
                return Err(Error::invalid(
                    "/buyer/tax_id",
                    "is missing; a company buyer's invoice carries its tax id (or set `buyer.kind` to `person`)",
                ));
            }
            (Some(id), _, _) => {
                let holder = match (buyer_kind, kind) {
                    (Some(BuyerKind::Company), _) | (_, InvoiceKind::Special) => {
                        Holder::Organisation
                    }
                    _ => Holder::Person,
                };
                check(id, holder).map_err(|why| {
                    Error::invalid("/buyer/tax_id", format!("(the buyer's tax id) {why}"))
                })?;
            }
            (None, _, _) => {}
        }
        let buyer = Party {
            tax_id: buyer.tax_id.as_deref().map(normalize),
            ..buyer
        };

        let mut lines = Vec::new();
        for (i, v) in with.list("lines", MAX_LINES)?.iter().enumerate() {
            let o = Obj::new(
                &format!("/lines/{i}"),
                v,
                "a line of `invoice.compute`'s output",
            )?;
            lines.push(printed_line(&o)?);
        }
        let amount = with.money("amount")?;
        let tax = with.money("tax")?;
        let total = with.money("total")?;
        let sum_amount: i64 = lines.iter().map(|l| l.amount).sum();
        let sum_tax: i64 = lines.iter().map(|l| l.tax).sum();
        let mismatch = |field: &str, given: i64, what: &str, sum: i64| {
            Error::invalid(
                field,
                format!(
                    "is {} but {what} {}; pass the totals of `invoice.compute`'s output unchanged",
                    format_fen(given),
                    format_fen(sum)
                ),
            )
        };
        if amount != sum_amount {
            return Err(mismatch(
                "/amount",
                amount,
                "the lines' amounts add up to",
                sum_amount,
            ));
        }
        if tax != sum_tax {
            return Err(mismatch("/tax", tax, "the lines' taxes add up to", sum_tax));
        }
        if total != amount + tax {
            return Err(mismatch("/total", total, "amount + tax is", amount + tax));
        }
        // Accepted so `invoice.compute`'s output can be passed on whole; it must agree.
        if let Some(words) = with.opt_string("total_in_words", 100)?
            && words != in_words(total)
        {
            return Err(Error::invalid(
                "/total_in_words",
                format!(
                    "is `{words}` but `total` {} is `{}` in words; leave it out (it is printed from `total`)",
                    format_fen(total),
                    in_words(total)
                ),
            ));
        }

        let issuer = with
            .opt_string("issuer", 40)?
            .or_else(|| settings.issuer.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "/issuer",
                    "is missing; give the 开票人 in `issuer` or set `[invoice] issuer` in shopflow.toml",
                )
            })?;
        Ok(Self {
            invoice_number,
            issue_date,
            kind,
            seller,
            buyer,
            lines,
            amount,
            tax,
            total,
            remarks: with.opt_string("remarks", MAX_REMARKS)?,
            order_id: with.string("order_id", 64)?,
            issuer,
        })
    }
}

fn printed_line(o: &Obj<'_>) -> Result<PrintedLine, Error> {
    o.allow_only(crate::compute::LINE_FIELDS)?;
    let rate = o.rate("tax_rate")?;
    if !rate.is_allowed() {
        return Err(Error::invalid(
            &o.field("tax_rate"),
            format!(
                "is {}, which a fapiao cannot carry (13%, 9%, 6%, 0%; collection 5%, 3%, 1%); `invoice.compute` reports this as `tax_rate_not_allowed`",
                rate.display()
            ),
        ));
    }
    let quantity = o.opt_decimal("quantity", QUANTITY_SCALE)?;
    if quantity.is_some_and(|q| q.is_zero()) {
        return Err(Error::invalid(&o.field("quantity"), "must be more than 0"));
    }
    Ok(PrintedLine {
        name: o.string("name", MAX_TEXT)?,
        model: o.opt_string("model", MAX_TEXT)?,
        unit: o.opt_string("unit", 20)?,
        quantity,
        unit_price: o.opt_price("unit_price", PRICE_SCALE)?,
        amount: o.money("amount")?,
        rate,
        tax: o.money("tax")?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args() -> Value {
        json!({
            "issue_date": "2026-11-26",
            "seller": {"name": "杭州云栖科技有限公司", "tax_id": "91350100M000100Y43"},
            "buyer": {"name": "张伟", "kind": "person"},
            "lines": [{"name": "*茶*明前龙井", "quantity": "2", "unit_price": "46.42",
                       "amount": "92.84", "tax_rate": "13%", "tax": "12.07"}],
            "amount": "92.84", "tax": "12.07", "total": "104.91",
            "order_id": "4102938475610293", "issuer": "王芳"
        })
    }

    fn err(args: Value) -> String {
        Request::from_args(&args, &InvoiceSettings::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn checks_totals_rates_ids_and_numbers() {
        let ok = Request::from_args(&args(), &InvoiceSettings::default()).unwrap();
        assert_eq!(ok.total, 10491);
        assert_eq!(ok.issuer, "王芳");

        let mut a = args();
        a["total"] = json!("104.90");
        assert_eq!(
            err(a),
            "`/total` is 104.90 but amount + tax is 104.91; pass the totals of `invoice.compute`'s output unchanged"
        );
        let mut a = args();
        a["lines"][0]["tax_rate"] = json!("10%");
        assert!(err(a).starts_with("`/lines/0/tax_rate` is 10%, which a fapiao cannot carry"));
        let mut a = args();
        a["buyer"] = json!({"name": "杭州某某有限公司", "kind": "company"});
        assert!(err(a).starts_with("`/buyer/tax_id` is missing; a company buyer"));
        let mut a = args();
        a["kind"] = json!("special");
        assert!(err(a).contains("增值税专用发票"));
        let mut a = args();
        a["invoice_number"] = json!("25332000000000000001");
        assert!(err(a).contains("starts with year 25 but `issue_date` is in 2026"));
        let mut a = args();
        a["invoice_number"] = json!("2633200000000000001");
        assert!(err(a).starts_with("`/invoice_number` must be 20 digits"));
        let mut a = args();
        a.as_object_mut().unwrap().remove("issuer");
        assert!(err(a).contains("`[invoice] issuer`"));
        let mut a = args();
        a["total_in_words"] = json!("壹佰零肆圆玖角");
        assert!(err(a).starts_with(
            "`/total_in_words` is `壹佰零肆圆玖角` but `total` 104.91 is `壹佰零肆圆玖角壹分`"
        ));
        let mut a = args();
        a["total_in_words"] = json!("壹佰零肆圆玖角壹分");
        assert!(Request::from_args(&a, &InvoiceSettings::default()).is_ok());
        let mut a = args();
        a["seller"]["tax_id"] = json!("91350100M000100Y44");
        let e = err(a);
        assert!(e.starts_with("`/seller/tax_id` (the seller's tax id) fails its check character"));
        assert!(!e.contains("91350100M000100Y44"));
    }
}
