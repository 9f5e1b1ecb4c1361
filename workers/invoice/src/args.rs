//! Reading `with:` arguments: every value by its JSON pointer (`/lines/2/quantity`), so an
//! error names exactly the argument that is wrong and says what it should be.

use serde_json::{Map, Value};
use shopflow_connectors::money::parse_yuan;

use crate::decimal::Decimal;
use crate::error::Error;
use crate::rate::TaxRate;

/// The largest amount of money accepted anywhere: 1 000 000 000 000 yuan (一万亿) in fen, far
/// above any invoice and far below where sums of a few thousand lines could overflow.
pub const MAX_FEN: i64 = 100_000_000_000_000;

/// A mapping of arguments at a JSON pointer.
#[derive(Clone)]
pub struct Obj<'a> {
    at: String,
    map: &'a Map<String, Value>,
}

/// A short description of a JSON value for messages (no personal data: strings are not
/// repeated).
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// `at/key` with `~` and `/` escaped (RFC 6901).
pub fn pointer(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

impl<'a> Obj<'a> {
    /// The mapping `v` found at `at` (`""` for `with:` itself); `shape` says what it should
    /// hold, for the error.
    pub fn new(at: &str, v: &'a Value, shape: &str) -> Result<Self, Error> {
        match v {
            Value::Object(map) => Ok(Self {
                at: at.to_owned(),
                map,
            }),
            other => Err(Error::invalid(
                at,
                format!("must be a mapping ({shape}), got {}", describe(other)),
            )),
        }
    }

    /// The mapping at `key`, if present.
    pub fn opt_obj(&self, key: &str, shape: &str) -> Result<Option<Obj<'a>>, Error> {
        self.get(key)
            .map(|v| Obj::new(&self.field(key), v, shape))
            .transpose()
    }

    /// The pointer of `key` in this mapping.
    pub fn field(&self, key: &str) -> String {
        pointer(&self.at, key)
    }

    /// Refuses keys other than `known`, naming them all (a typo otherwise goes unnoticed).
    pub fn allow_only(&self, known: &[&str]) -> Result<(), Error> {
        if let Some(unknown) = self.map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Error::invalid(
                &self.field(unknown),
                format!(
                    "is not an argument here; the arguments are {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// The value of `key`; `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A non-empty string of at most `max` characters, trimmed; a number is taken as its text.
    pub fn opt_string(&self, key: &str, max: usize) -> Result<Option<String>, Error> {
        let text = match self.get(key) {
            None => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(Error::invalid(
                    &self.field(key),
                    format!("must be a string, got {}", describe(other)),
                ));
            }
        };
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > max {
            return Err(Error::invalid(
                &self.field(key),
                format!("is longer than {max} characters"),
            ));
        }
        Ok(Some(text))
    }

    /// Like [`Obj::opt_string`], and required.
    pub fn string(&self, key: &str, max: usize) -> Result<String, Error> {
        self.opt_string(key, max)?
            .ok_or_else(|| Error::invalid(&self.field(key), "is missing or empty"))
    }

    /// `true` or `false`, `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(Error::invalid(
                &self.field(key),
                format!("must be true or false, got {}", describe(other)),
            )),
        }
    }

    /// Money: a decimal string with at most two decimals (`"104.90"`) or a whole JSON number
    /// of yuan; never a JSON number with a fraction (floating point is not money).
    pub fn opt_money(&self, key: &str) -> Result<Option<i64>, Error> {
        let field = self.field(key);
        let fen = match self.get(key) {
            None => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => parse_yuan(s).ok_or_else(|| {
                Error::invalid(
                    &field,
                    "is not an amount like \"104.90\" (digits, a dot, at most two decimals)",
                )
            })?,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n
                .as_i64()
                .and_then(|y| y.checked_mul(100))
                .ok_or_else(|| Error::invalid(&field, "is too large"))?,
            Some(other) => {
                return Err(Error::invalid(
                    &field,
                    format!(
                        "must be a decimal string like \"104.90\" (no floating point for money), got {}",
                        describe(other)
                    ),
                ));
            }
        };
        if fen < 0 {
            return Err(Error::invalid(&field, "is negative"));
        }
        if fen > MAX_FEN {
            return Err(Error::invalid(
                &field,
                "is more than 1 000 000 000 000 yuan",
            ));
        }
        Ok(Some(fen))
    }

    /// Like [`Obj::opt_money`], and required.
    pub fn money(&self, key: &str) -> Result<i64, Error> {
        self.opt_money(key)?
            .ok_or_else(|| Error::invalid(&self.field(key), "is missing"))
    }

    /// A non-negative decimal with at most `max_scale` decimals: a string, or a JSON number
    /// read from its decimal text.
    pub fn opt_decimal(&self, key: &str, max_scale: u32) -> Result<Option<Decimal>, Error> {
        let field = self.field(key);
        let text = match self.get(key) {
            None => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(Error::invalid(
                    &field,
                    format!(
                        "must be a number or a decimal string, got {}",
                        describe(other)
                    ),
                ));
            }
        };
        Decimal::parse(&text, max_scale)
            .map(Some)
            .map_err(|e| Error::invalid(&field, e))
    }

    /// A unit price: like [`Obj::opt_decimal`], but a JSON number must be whole (no floating
    /// point for money).
    pub fn opt_price(&self, key: &str, max_scale: u32) -> Result<Option<Decimal>, Error> {
        if let Some(Value::Number(n)) = self.get(key)
            && !(n.is_i64() || n.is_u64())
        {
            return Err(Error::invalid(
                &self.field(key),
                format!(
                    "must be a decimal string like \"46.42\" (no floating point for money), got {}",
                    describe(&Value::Number(n.clone()))
                ),
            ));
        }
        self.opt_decimal(key, max_scale)
    }

    /// A tax rate (`"13%"`, `0.13`).
    pub fn rate(&self, key: &str) -> Result<TaxRate, Error> {
        let field = self.field(key);
        let v = self
            .get(key)
            .ok_or_else(|| Error::invalid(&field, "is missing"))?;
        TaxRate::from_json(v).map_err(|e| Error::invalid(&field, e))
    }

    /// A list of 1 to `max` entries.
    pub fn list(&self, key: &str, max: usize) -> Result<&'a [Value], Error> {
        let field = self.field(key);
        match self.get(key) {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= max => Ok(items),
            Some(Value::Array(items)) => Err(Error::invalid(
                &field,
                format!("has {} entries; give 1 to {max}", items.len()),
            )),
            None => Err(Error::invalid(&field, "is missing")),
            Some(other) => Err(Error::invalid(
                &field,
                format!("must be a list, got {}", describe(other)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn detail(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn errors_name_the_pointer_and_the_fix() {
        let v = json!({"a": 12.5, "b": "1.005", "c": -3, "d": "x", "e": [], "f~/": 1});
        let o = Obj::new("/buyer", &v, "test").unwrap();
        assert_eq!(
            detail(o.money("a").unwrap_err()),
            "`/buyer/a` must be a decimal string like \"104.90\" (no floating point for money), got the number 12.5"
        );
        assert!(detail(o.money("b").unwrap_err()).starts_with("`/buyer/b` is not an amount"));
        assert_eq!(detail(o.money("c").unwrap_err()), "`/buyer/c` is negative");
        assert_eq!(detail(o.money("z").unwrap_err()), "`/buyer/z` is missing");
        assert_eq!(
            detail(o.list("e", 5).unwrap_err()),
            "`/buyer/e` has 0 entries; give 1 to 5"
        );
        assert_eq!(
            detail(o.allow_only(&["a", "b", "c", "d", "e"]).unwrap_err()),
            "`/buyer/f~0~1` is not an argument here; the arguments are `a`, `b`, `c`, `d`, `e`"
        );
        assert_eq!(o.opt_money("missing").unwrap(), None);
        let ok = json!({"m": "104.9", "n": 12, "q": 2.5});
        let o = Obj::new("", &ok, "test").unwrap();
        assert_eq!(o.money("m").unwrap(), 10490);
        assert_eq!(o.money("n").unwrap(), 1200);
        assert_eq!(o.opt_decimal("q", 6).unwrap().unwrap().display(0), "2.5");
        assert_eq!(
            detail(Obj::new("", &json!([1]), "the invoice").err().unwrap()),
            "`with` must be a mapping (the invoice), got a list"
        );
    }
}
