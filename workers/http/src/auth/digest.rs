//! HTTP digest authentication (RFC 7616): reading the server's `WWW-Authenticate: Digest`
//! challenge and computing the `Authorization` answer, with MD5 and SHA-256 (and their `-sess`
//! variants), `qop=auth` or the RFC 2069 form without qop, and `userhash`.

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use md5::Md5;
use reqwest::header::HeaderMap;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The hash a challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// `MD5` (the default when the challenge names none).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl Algorithm {
    fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "MD5-SESS" => Some(Algorithm::Md5Sess),
            "SHA-256" => Some(Algorithm::Sha256),
            "SHA-256-SESS" => Some(Algorithm::Sha256Sess),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn session(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// Lower-case hex of the hash of `data`.
    fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data.as_bytes())),
        }
    }

    /// Stronger algorithms are preferred when a server offers several challenges.
    fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
        }
    }
}

/// One `Digest` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// Protection space.
    pub realm: String,
    /// Server nonce.
    pub nonce: String,
    /// Echoed back unchanged.
    pub opaque: Option<String>,
    /// The hash.
    pub algorithm: Algorithm,
    /// Whether `qop` was offered at all (RFC 2069 servers offer none).
    pub qop: bool,
    /// Whether the user name is to be sent hashed.
    pub userhash: bool,
}

/// What the answer covers.
pub(crate) struct Answer<'a> {
    /// User name.
    pub username: &'a str,
    /// Password.
    pub password: &'a str,
    /// Request method.
    pub method: &'a str,
    /// Path and query of the request.
    pub uri: &'a str,
    /// Client nonce.
    pub cnonce: &'a str,
}

/// The strongest usable `Digest` challenge among the response's `WWW-Authenticate` headers.
///
/// `Ok(None)` when the server sent no digest challenge at all; an error when it did, but only
/// with algorithms or a `qop` this implementation does not do.
pub(crate) fn best_challenge(headers: &HeaderMap) -> Result<Option<Challenge>, Error> {
    let mut best: Option<Challenge> = None;
    let mut rejected = Vec::new();
    for value in headers.get_all(reqwest::header::WWW_AUTHENTICATE) {
        let text = String::from_utf8_lossy(value.as_bytes());
        for (scheme, params) in challenges(&text) {
            if !scheme.eq_ignore_ascii_case("digest") {
                continue;
            }
            match challenge(&params) {
                Ok(c)
                    if best
                        .as_ref()
                        .is_none_or(|b| c.algorithm.strength() > b.algorithm.strength()) =>
                {
                    best = Some(c);
                }
                Ok(_) => {}
                Err(why) => rejected.push(why),
            }
        }
    }
    match (best, rejected.is_empty()) {
        (Some(c), _) => Ok(Some(c)),
        (None, true) => Ok(None),
        (None, false) => Err(Error::Unsupported(format!(
            "the server's digest challenge cannot be answered: {}",
            rejected.join("; ")
        ))),
    }
}

/// The `Authorization` header value answering `challenge`.
pub(crate) fn authorization(challenge: &Challenge, answer: &Answer<'_>) -> String {
    let alg = challenge.algorithm;
    let mut ha1 = alg.hash(&format!(
        "{}:{}:{}",
        answer.username, challenge.realm, answer.password
    ));
    if alg.session() {
        ha1 = alg.hash(&format!("{ha1}:{}:{}", challenge.nonce, answer.cnonce));
    }
    let ha2 = alg.hash(&format!("{}:{}", answer.method, answer.uri));
    let nc = "00000001";
    let response = if challenge.qop {
        alg.hash(&format!(
            "{ha1}:{}:{nc}:{}:auth:{ha2}",
            challenge.nonce, answer.cnonce
        ))
    } else {
        alg.hash(&format!("{ha1}:{}:{ha2}", challenge.nonce))
    };
    let username = if challenge.userhash {
        alg.hash(&format!("{}:{}", answer.username, challenge.realm))
    } else {
        answer.username.to_owned()
    };
    let mut header = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{response}\"",
        quote(&username),
        quote(&challenge.realm),
        quote(&challenge.nonce),
        quote(answer.uri),
        alg.name(),
    );
    if challenge.qop {
        let _ = write!(
            header,
            ", qop=auth, nc={nc}, cnonce=\"{}\"",
            quote(answer.cnonce)
        );
    }
    if let Some(opaque) = &challenge.opaque {
        let _ = write!(header, ", opaque=\"{}\"", quote(opaque));
    }
    if challenge.userhash {
        header.push_str(", userhash=true");
    }
    header
}

/// A fresh client nonce: 128 bits from std's randomly keyed hasher, which is seeded from the
/// operating system; good enough for a value that only has to be unpredictable to the server.
pub(crate) fn new_cnonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = String::with_capacity(32);
    for part in 0..2u8 {
        let mut h = RandomState::new().build_hasher();
        h.write_u8(part);
        h.write_u128(nanos);
        let _ = write!(out, "{:016x}", h.finish());
    }
    out
}

fn challenge(params: &[(String, String)]) -> Result<Challenge, String> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let algorithm = match get("algorithm") {
        None => Algorithm::Md5,
        Some(name) => Algorithm::parse(&name)
            .ok_or_else(|| format!("algorithm {name} is not supported (MD5 and SHA-256 are)"))?,
    };
    let qop = match get("qop") {
        None => false,
        Some(q) if q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth")) => true,
        Some(q) => return Err(format!("qop={q} is not supported (qop=auth is)")),
    };
    Ok(Challenge {
        realm: get("realm").unwrap_or_default(),
        nonce: get("nonce").ok_or("the challenge has no nonce")?,
        opaque: get("opaque"),
        algorithm,
        qop,
        userhash: get("userhash").is_some_and(|v| v.eq_ignore_ascii_case("true")),
    })
}

/// Splits a `WWW-Authenticate` value into challenges: a scheme and its `name=value` params
/// (RFC 9110 §11.6.1; several challenges may share one header, separated by commas).
fn challenges(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let tokens = lex(text);
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match (&tokens[i], tokens.get(i + 1), tokens.get(i + 2)) {
            (Token::Word(name), Some(Token::Equals), Some(Token::Word(v) | Token::Quoted(v))) => {
                if let Some((_, params)) = out.last_mut() {
                    params.push((name.clone(), v.clone()));
                }
                i += 3;
            }
            (Token::Word(scheme), next, _) if !matches!(next, Some(Token::Equals)) => {
                out.push((scheme.clone(), Vec::new()));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
    Comma,
}

fn lex(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                tokens.push(Token::Equals);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => s.extend(chars.next()),
                        '"' => break,
                        c => s.push(c),
                    }
                }
                tokens.push(Token::Quoted(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '=' | ',' | '"') {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(s));
            }
        }
    }
    tokens
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    /// The example of RFC 7616 §3.9.1.
    fn rfc_challenge(algorithm: Algorithm) -> Challenge {
        Challenge {
            realm: "http-auth@example.org".into(),
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v".into(),
            opaque: Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS".into()),
            algorithm,
            qop: true,
            userhash: false,
        }
    }

    fn rfc_answer() -> Answer<'static> {
        Answer {
            username: "Mufasa",
            password: "Circle of Life",
            method: "GET",
            uri: "/dir/index.html",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        }
    }

    #[test]
    fn rfc_7616_example_md5() {
        let header = authorization(&rfc_challenge(Algorithm::Md5), &rfc_answer());
        assert!(
            header.contains("response=\"8ca523f5e9506fed4657c9700eebdbec\""),
            "{header}"
        );
        assert!(header.contains("qop=auth, nc=00000001"), "{header}");
        assert!(
            header.contains("opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""),
            "{header}"
        );
    }

    #[test]
    fn rfc_7616_example_sha256() {
        let header = authorization(&rfc_challenge(Algorithm::Sha256), &rfc_answer());
        assert!(
            header.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{header}"
        );
    }

    #[test]
    fn the_strongest_challenge_wins() {
        let mut headers = HeaderMap::new();
        headers.append(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                r#"Digest realm="r", qop="auth, auth-int", algorithm=MD5, nonce="n1", opaque="o", Basic realm="r""#,
            ),
        );
        headers.append(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                r#"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n2", userhash=true"#,
            ),
        );
        let best = best_challenge(&headers).ok().flatten();
        assert_eq!(
            best.as_ref()
                .map(|c| (c.algorithm, c.nonce.as_str(), c.userhash)),
            Some((Algorithm::Sha256, "n2", true))
        );
    }

    #[test]
    fn unsupported_challenges_say_why() {
        let mut headers = HeaderMap::new();
        headers.append(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Digest realm="r", qop="auth-int", nonce="n""#),
        );
        let err = best_challenge(&headers).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "the server's digest challenge cannot be answered: qop=auth-int is not supported (qop=auth is)"
            )
        );
        assert_eq!(best_challenge(&HeaderMap::new()).ok(), Some(None));
    }

    #[test]
    fn cnonces_differ() {
        assert_ne!(new_cnonce(), new_cnonce());
        assert_eq!(new_cnonce().len(), 32);
    }
}
