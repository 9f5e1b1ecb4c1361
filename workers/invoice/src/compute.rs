//! `invoice.compute`: the lines, taxes and totals of a fapiao in integer fen, with the
//! problems that keep it from being issued as it is (DOMAIN.md's rates, rounding, tolerances
//! and tax ids; a total that differs from what was expected). No effects: the same arguments
//! always give the same result.

use serde::Serialize;
use serde_json::Value;
use shopflow_connectors::money::format_fen;

use crate::args::{MAX_FEN, Obj};
use crate::decimal::{Decimal, div_round, pow10};
use crate::error::Error;
use crate::rate::TaxRate;
use crate::tax_ids::{Holder, check};
use crate::words::in_words;

/// The most lines one call takes.
pub const MAX_LINES: usize = 2000;
/// Decimals a quantity may have.
pub const QUANTITY_SCALE: u32 = 6;
/// Decimals a unit price may have (and has at most in the output).
pub const PRICE_SCALE: u32 = 8;
/// How far a line's tax may be from its amount × rate, in fen.
pub const LINE_TOLERANCE_FEN: i64 = 6;
/// How far the sum of the lines' taxes may be from the tax on their amounts, in fen.
pub const INVOICE_TOLERANCE_FEN: i64 = 127;
/// Names and other text fields are at most this long.
pub const MAX_TEXT: usize = 200;

/// A company or a private person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuyerKind {
    /// A company or other organisation: its tax id is required.
    Company,
    /// A private person: a tax id is optional.
    Person,
}

impl BuyerKind {
    /// Reads `company` or `person` at `obj/key`.
    pub fn from_args(obj: &Obj<'_>, key: &str) -> Result<Option<Self>, Error> {
        match obj.opt_string(key, 20)?.as_deref() {
            None => Ok(None),
            Some("company") => Ok(Some(Self::Company)),
            Some("person") => Ok(Some(Self::Person)),
            Some(other) => Err(Error::invalid(
                &obj.field(key),
                format!("is `{other}`; use `company` or `person`"),
            )),
        }
    }
}

/// The buyer or the seller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// The name on the invoice.
    pub name: String,
    /// The tax id as given (trimmed).
    pub tax_id: Option<String>,
}

/// A line as a flow gives it.
#[derive(Debug, Clone)]
pub struct LineInput {
    /// 项目名称 (`*类别*名称`).
    pub name: String,
    /// 规格型号.
    pub model: Option<String>,
    /// 单位.
    pub unit: Option<String>,
    /// 数量, more than 0.
    pub quantity: Decimal,
    /// 单价 and / or 金额, before or including tax as the request says.
    pub priced: Priced,
    /// 税额 as printed on an invoice being checked; computed when absent.
    pub tax: Option<i64>,
    /// 税率/征收率.
    pub rate: TaxRate,
}

/// What a line's money is given as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priced {
    /// The unit price; the amount is quantity × unit price, rounded half up.
    UnitPrice(Decimal),
    /// The amount.
    Amount(i64),
    /// Both; they must agree within 0.01.
    Both {
        /// 单价.
        unit_price: Decimal,
        /// 金额.
        amount: i64,
    },
}

/// `with:` of `invoice.compute`.
#[derive(Debug, Clone)]
pub struct Request {
    /// The buyer.
    pub buyer: Party,
    /// Company or person.
    pub buyer_kind: BuyerKind,
    /// The seller (from `[invoice.seller]` when the arguments have none).
    pub seller: Party,
    /// The lines.
    pub lines: Vec<LineInput>,
    /// Whether unit prices and amounts include tax.
    pub prices_include_tax: bool,
    /// What the total must be, exactly.
    pub expected_total: Option<i64>,
}

/// Reads `{name, tax_id?}` (and the `extra` keys) at `key`.
pub fn party<'a>(
    obj: &Obj<'a>,
    key: &str,
    extra: &[&str],
) -> Result<Option<(Party, Obj<'a>)>, Error> {
    let Some(p) = obj.opt_obj(key, "`{name, tax_id}`")? else {
        return Ok(None);
    };
    let mut known = vec!["name", "tax_id"];
    known.extend_from_slice(extra);
    p.allow_only(&known)?;
    let party = Party {
        name: p.string("name", MAX_TEXT)?,
        tax_id: p.opt_string("tax_id", 40)?,
    };
    Ok(Some((party, p)))
}

impl Request {
    /// Reads `with:`; `default_seller` stands in for a missing `seller`.
    pub fn from_args(args: &Value, default_seller: Option<&Party>) -> Result<Self, Error> {
        let with = Obj::new(
            "",
            args,
            "`buyer`, `seller`, `lines`, `prices_include_tax`, `expected_total`",
        )?;
        with.allow_only(&[
            "buyer",
            "seller",
            "lines",
            "prices_include_tax",
            "expected_total",
        ])?;
        let (buyer, buyer_obj) = party(&with, "buyer", &["kind"])?
            .ok_or_else(|| Error::invalid("/buyer", "is missing; give `{name, kind, tax_id?}`"))?;
        let buyer_kind = BuyerKind::from_args(&buyer_obj, "kind")?.ok_or_else(|| {
            Error::invalid("/buyer/kind", "is missing; use `company` or `person`")
        })?;
        let seller = match party(&with, "seller", &[])? {
            Some((p, _)) => p,
            None => default_seller.cloned().ok_or_else(|| {
                Error::invalid(
                    "/seller",
                    "is missing; give `{name, tax_id}` or set `[invoice.seller]` in shopflow.toml",
                )
            })?,
        };
        let mut lines = Vec::new();
        for (i, v) in with.list("lines", MAX_LINES)?.iter().enumerate() {
            let o = Obj::new(
                &format!("/lines/{i}"),
                v,
                "`{name, quantity, unit_price?, amount?, tax_rate}`",
            )?;
            lines.push(line(&o)?);
        }
        Ok(Self {
            buyer,
            buyer_kind,
            seller,
            lines,
            prices_include_tax: with.flag("prices_include_tax", false)?,
            expected_total: with.opt_money("expected_total")?,
        })
    }
}

/// The members of an invoice line, as `invoice.compute` takes them and `invoice.render` prints
/// them.
pub(crate) const LINE_FIELDS: &[&str] = &[
    "name",
    "model",
    "unit",
    "quantity",
    "unit_price",
    "amount",
    "tax_rate",
    "tax",
];

fn line(o: &Obj<'_>) -> Result<LineInput, Error> {
    o.allow_only(LINE_FIELDS)?;
    let quantity = o
        .opt_decimal("quantity", QUANTITY_SCALE)?
        .ok_or_else(|| Error::invalid(&o.field("quantity"), "is missing"))?;
    if quantity.is_zero() {
        return Err(Error::invalid(&o.field("quantity"), "must be more than 0"));
    }
    let priced = match (
        o.opt_price("unit_price", PRICE_SCALE)?,
        o.opt_money("amount")?,
    ) {
        (Some(unit_price), Some(amount)) => Priced::Both { unit_price, amount },
        (Some(unit_price), None) => Priced::UnitPrice(unit_price),
        (None, Some(amount)) => Priced::Amount(amount),
        (None, None) => {
            return Err(Error::invalid(
                &o.field("unit_price"),
                "is missing, and so is `amount`; a line needs one of them (or both)",
            ));
        }
    };
    Ok(LineInput {
        name: o.string("name", MAX_TEXT)?,
        model: o.opt_string("model", MAX_TEXT)?,
        unit: o.opt_string("unit", 20)?,
        quantity,
        priced,
        tax: o.opt_money("tax")?,
        rate: o.rate("tax_rate")?,
    })
}

/// What a problem is about; flows switch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A rate other than 13, 9, 6, 0 % (VAT) or 5, 3, 1 % (collection).
    TaxRateNotAllowed,
    /// A line's tax is more than 0.06 from amount × rate, or the lines' taxes more than 1.27
    /// from the tax on their amounts.
    SplitRequired,
    /// `amount` is not `quantity × unit_price` (within 0.01).
    AmountMismatch,
    /// The total is not `expected_total`.
    TotalMismatch,
    /// A company buyer without a tax id.
    BuyerTaxIdMissing,
    /// The buyer's tax id fails its checks.
    BuyerTaxIdInvalid,
    /// The seller's tax id fails its checks.
    SellerTaxIdInvalid,
}

/// Something that keeps the invoice from being issued as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub code: ProblemCode,
    /// What is wrong and how to fix it.
    pub message: String,
    /// JSON pointer of the argument it is about.
    pub field: String,
}

/// A computed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 项目名称.
    pub name: String,
    /// 规格型号.
    pub model: Option<String>,
    /// 单位.
    pub unit: Option<String>,
    /// 数量.
    pub quantity: Decimal,
    /// 单价 before tax, at most [`PRICE_SCALE`] decimals.
    pub unit_price: Decimal,
    /// 金额 before tax, fen.
    pub amount: i64,
    /// 税率.
    pub rate: TaxRate,
    /// 税额, fen.
    pub tax: i64,
}

/// The computed invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computation {
    /// The lines, before tax.
    pub lines: Vec<Line>,
    /// 合计金额, fen.
    pub amount: i64,
    /// 合计税额, fen.
    pub tax: i64,
    /// 价税合计, fen.
    pub total: i64,
    /// Whether the buyer's tax id passed its checks (`None`: a person gave none).
    pub buyer_tax_id_valid: Option<bool>,
    /// What keeps the invoice from being issued as it is.
    pub problems: Vec<Problem>,
}

/// The function's output.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The lines, money as decimal strings.
    pub lines: Vec<OutputLine>,
    /// 合计金额.
    pub amount: String,
    /// 合计税额.
    pub tax: String,
    /// 价税合计.
    pub total: String,
    /// 价税合计（大写）.
    pub total_in_words: String,
    /// Whether the buyer's tax id passed its checks (`null`: a person gave none).
    pub buyer_tax_id_valid: Option<bool>,
    /// What keeps the invoice from being issued as it is.
    pub problems: Vec<Problem>,
    /// No problems.
    pub confident: bool,
}

/// A line of the output.
#[derive(Debug, Clone, Serialize)]
pub struct OutputLine {
    /// 项目名称.
    pub name: String,
    /// 规格型号.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// 单位.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// 数量 (`"2"`, `"2.5"`).
    pub quantity: String,
    /// 单价 before tax, two to eight decimals.
    pub unit_price: String,
    /// 金额 before tax.
    pub amount: String,
    /// 税率/征收率 (`"13%"`).
    pub tax_rate: String,
    /// 税额.
    pub tax: String,
}

/// A fraction of a fen (`units / 10^scale` fen) as yuan.
fn yuan_of(units: i128, scale: u32) -> String {
    Decimal {
        units,
        scale: scale + 2,
    }
    .display(2)
}

/// Computes the invoice of `req`; fails only when a line's amount is out of range.
pub fn compute(req: &Request) -> Result<Computation, Error> {
    let mut problems = Vec::new();
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let at = format!("/lines/{i}");
        if !l.rate.is_allowed() {
            problems.push(Problem {
                code: ProblemCode::TaxRateNotAllowed,
                message: format!(
                    "{} is not a rate a fapiao can carry: the VAT rates are 13%, 9%, 6% and 0%, the collection rates 5%, 3% and 1%; use the rate of the item's tax classification",
                    l.rate.display()
                ),
                field: format!("{at}/tax_rate"),
            });
        }
        // The line's money on the request's basis (before or including tax); quantity ×
        // unit price is `num / den` fen exactly.
        let product = |p: Decimal| (l.quantity.units * p.units * 100, l.quantity.scale + p.scale);
        let basis = match l.priced {
            Priced::Amount(amount) => amount,
            Priced::Both { unit_price, amount } => {
                let (num, scale) = product(unit_price);
                if (num - i128::from(amount) * pow10(scale)).abs() > pow10(scale) {
                    problems.push(Problem {
                        code: ProblemCode::AmountMismatch,
                        message: format!(
                            "amount {} is not quantity × unit_price ({} × {} = {}); correct one of them (they may differ by at most 0.01)",
                            format_fen(amount),
                            l.quantity.display(0),
                            unit_price.display(2),
                            yuan_of(num, scale),
                        ),
                        field: format!("{at}/amount"),
                    });
                }
                amount
            }
            Priced::UnitPrice(unit_price) => {
                let (num, scale) = product(unit_price);
                i64::try_from(div_round(num, pow10(scale)))
                    .ok()
                    .filter(|fen| *fen <= MAX_FEN)
                    .ok_or_else(|| {
                        Error::invalid(
                            &format!("{at}/unit_price"),
                            "times `quantity` is more than 1 000 000 000 000 yuan",
                        )
                    })?
            }
        };
        let (amount, tax) = match (req.prices_include_tax, l.tax) {
            (false, None) => (basis, l.rate.tax_on(basis)),
            (true, None) => {
                let net = l.rate.net_of(basis);
                (net, basis - net)
            }
            (false, Some(tax)) => (basis, tax),
            (true, Some(tax)) => {
                if tax > basis {
                    return Err(Error::invalid(
                        &format!("{at}/tax"),
                        "is more than the line's tax-inclusive amount",
                    ));
                }
                (basis - tax, tax)
            }
        };
        let deviation = l.rate.deviation(amount, tax);
        if deviation > i128::from(LINE_TOLERANCE_FEN) * 10_000 {
            problems.push(Problem {
                code: ProblemCode::SplitRequired,
                message: format!(
                    "the line's tax {} differs from amount × rate ({} × {} = {}) by {}, more than the 0.06 a line may differ; correct the tax, or split the line into lines of smaller quantity",
                    format_fen(tax),
                    format_fen(amount),
                    l.rate.display(),
                    yuan_of(i128::from(amount) * i128::from(l.rate.basis()), 4),
                    yuan_of(deviation, 4),
                ),
                field: format!("{at}/tax"),
            });
        }
        let unit_price = match (req.prices_include_tax, l.priced) {
            (false, Priced::UnitPrice(p) | Priced::Both { unit_price: p, .. }) => p,
            _ => Decimal {
                units: div_round(
                    i128::from(amount) * l.quantity.denominator() * pow10(PRICE_SCALE),
                    100 * l.quantity.units,
                ),
                scale: PRICE_SCALE,
            },
        };
        lines.push(Line {
            name: l.name.clone(),
            model: l.model.clone(),
            unit: l.unit.clone(),
            quantity: l.quantity,
            unit_price,
            amount,
            rate: l.rate,
            tax,
        });
    }

    let amount: i64 = lines.iter().map(|l| l.amount).sum();
    let tax: i64 = lines.iter().map(|l| l.tax).sum();
    let total = amount + tax;
    // The tax on the amounts at their rates, exactly (ten-thousandths of a fen).
    let exact_tax: i128 = lines
        .iter()
        .map(|l| i128::from(l.amount) * i128::from(l.rate.basis()))
        .sum();
    let invoice_deviation = (i128::from(tax) * 10_000 - exact_tax).abs();
    if invoice_deviation > i128::from(INVOICE_TOLERANCE_FEN) * 10_000 {
        problems.push(Problem {
            code: ProblemCode::SplitRequired,
            message: format!(
                "the lines' taxes add up to {}, but the tax on their amounts at their rates is {}: {} apart, more than the 1.27 one invoice may carry; split the lines over several invoices so that each stays within 1.27",
                format_fen(tax),
                yuan_of(exact_tax, 4),
                yuan_of(invoice_deviation, 4),
            ),
            field: "/lines".into(),
        });
    }
    if let Some(expected) = req.expected_total
        && expected != total
    {
        let (more_less, by) = if expected > total {
            ("more", expected - total)
        } else {
            ("less", total - expected)
        };
        problems.push(Problem {
            code: ProblemCode::TotalMismatch,
            message: format!(
                "the invoice comes to {} (amount {} + tax {}), but expected_total is {}, which is {} {}; check the lines' prices, quantities and tax rates (and prices_include_tax) against the order",
                format_fen(total),
                format_fen(amount),
                format_fen(tax),
                format_fen(expected),
                format_fen(by),
                more_less,
            ),
            field: "/expected_total".into(),
        });
    }

    let buyer_tax_id_valid = match (&req.buyer.tax_id, req.buyer_kind) {
        (None, BuyerKind::Person) => None,
        (None, BuyerKind::Company) => {
            problems.push(Problem {
                code: ProblemCode::BuyerTaxIdMissing,
                message: "a company buyer's invoice carries its tax id (unified social credit code); ask the buyer for it, or set `buyer.kind` to `person` for a private buyer".into(),
                field: "/buyer/tax_id".into(),
            });
            Some(false)
        }
        (Some(id), kind) => {
            let holder = match kind {
                BuyerKind::Company => Holder::Organisation,
                BuyerKind::Person => Holder::Person,
            };
            match check(id, holder) {
                Ok(_) => Some(true),
                Err(why) => {
                    problems.push(Problem {
                        code: ProblemCode::BuyerTaxIdInvalid,
                        message: format!("the buyer's tax id {why}"),
                        field: "/buyer/tax_id".into(),
                    });
                    Some(false)
                }
            }
        }
    };
    let seller_problem = match &req.seller.tax_id {
        None => Some(
            "is missing; the seller's unified social credit code is on every invoice".to_owned(),
        ),
        Some(id) => check(id, Holder::Organisation).err(),
    };
    if let Some(why) = seller_problem {
        problems.push(Problem {
            code: ProblemCode::SellerTaxIdInvalid,
            message: format!(
                "the seller's tax id {why}; give the right one in `seller.tax_id` or `[invoice.seller] tax_id` in shopflow.toml"
            ),
            field: "/seller/tax_id".into(),
        });
    }

    Ok(Computation {
        lines,
        amount,
        tax,
        total,
        buyer_tax_id_valid,
        problems,
    })
}

impl Computation {
    /// The output flows see.
    pub fn output(&self) -> Output {
        Output {
            lines: self
                .lines
                .iter()
                .map(|l| OutputLine {
                    name: l.name.clone(),
                    model: l.model.clone(),
                    unit: l.unit.clone(),
                    quantity: l.quantity.display(0),
                    unit_price: l.unit_price.display(2),
                    amount: format_fen(l.amount),
                    tax_rate: l.rate.display(),
                    tax: format_fen(l.tax),
                })
                .collect(),
            amount: format_fen(self.amount),
            tax: format_fen(self.tax),
            total: format_fen(self.total),
            total_in_words: in_words(self.total),
            buyer_tax_id_valid: self.buyer_tax_id_valid,
            problems: self.problems.clone(),
            confident: self.problems.is_empty(),
        }
    }
}

/// `invoice.compute` on `args`.
pub fn run(args: &Value, default_seller: Option<&Party>) -> Result<Output, Error> {
    let req = Request::from_args(args, default_seller)?;
    Ok(compute(&req)?.output())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one_line(line: Value, include: bool) -> Output {
        run(
            &json!({
                "buyer": {"name": "张伟", "kind": "person"},
                "seller": {"name": "杭州云栖科技有限公司", "tax_id": "91350100M000100Y43"},
                "prices_include_tax": include,
                "lines": [line]
            }),
            None,
        )
        .unwrap()
    }

    #[test]
    fn unit_prices_before_tax_keep_up_to_eight_decimals() {
        let out = one_line(
            json!({"name": "x", "quantity": 3, "amount": "10.00", "tax_rate": "13%"}),
            false,
        );
        assert_eq!(out.lines[0].unit_price, "3.33333333");
        let out = one_line(
            json!({"name": "x", "quantity": "0.5", "amount": "1.00", "tax_rate": "13%"}),
            false,
        );
        assert_eq!(out.lines[0].unit_price, "2.00");
        assert_eq!(out.lines[0].quantity, "0.5");
        // 3 × 1.99 = 5.97 including 6 %: 5.632… → 5.63 before tax, 0.34 tax, 1.87666667 each.
        let out = one_line(
            json!({"name": "x", "quantity": 3, "unit_price": "1.99", "tax_rate": "6%"}),
            true,
        );
        assert_eq!(
            (
                out.lines[0].amount.as_str(),
                out.lines[0].tax.as_str(),
                out.lines[0].unit_price.as_str()
            ),
            ("5.63", "0.34", "1.87666667")
        );
        // A price with more decimals than a fen: 3 × 0.333 = 0.999 → 1.00.
        let out = one_line(
            json!({"name": "x", "quantity": 3, "unit_price": "0.333", "tax_rate": "0%"}),
            false,
        );
        assert_eq!(out.lines[0].amount, "1.00");
        assert_eq!(out.total_in_words, "壹圆整");
    }

    #[test]
    fn huge_products_are_refused_not_overflowed() {
        let e = run(
            &json!({
                "buyer": {"name": "张伟", "kind": "person"},
                "seller": {"name": "杭州云栖科技有限公司", "tax_id": "91350100M000100Y43"},
                "lines": [{"name": "x", "quantity": "999999999999999999",
                           "unit_price": "999999999999999999", "tax_rate": "13%"}]
            }),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`/lines/0/unit_price` times `quantity` is more than 1 000 000 000 000 yuan"
        );
    }

    #[test]
    fn the_default_seller_stands_in() {
        let seller = Party {
            name: "杭州云栖科技有限公司".into(),
            tax_id: Some("91350100M000100Y43".into()),
        };
        let args = json!({
            "buyer": {"name": "张伟", "kind": "person"},
            "lines": [{"name": "x", "quantity": 1, "amount": "1.00", "tax_rate": "13%"}]
        });
        assert!(run(&args, Some(&seller)).unwrap().confident);
        assert_eq!(
            run(&args, None).unwrap_err().to_string(),
            "`/seller` is missing; give `{name, tax_id}` or set `[invoice.seller]` in shopflow.toml"
        );
    }
}
