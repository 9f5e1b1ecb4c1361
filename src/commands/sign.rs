//! `shopflow sign`: prints the signature a platform expects, how it is computed, and the signed
//! string with the secret masked. Exit 0; 2 when the arguments cannot be used.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use shopflow_connectors::Platform;
use shopflow_connectors::sign::explain::explain;

/// Prints the explanation, or the reason it cannot be computed.
pub fn run(platform: &str, secret_env: &str, body: Option<&Path>, params: &[String]) -> ExitCode {
    match explain_args(platform, secret_env, body, params) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn explain_args(
    platform: &str,
    secret_env: &str,
    body: Option<&Path>,
    params: &[String],
) -> Result<String, String> {
    let platform: Platform = platform.parse()?;
    let secret = std::env::var(secret_env)
        .map_err(|_| format!("the environment variable {secret_env} (--secret-env) is not set"))?;
    let mut map = BTreeMap::new();
    for p in params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("parameters are k=v, got `{p}`"))?;
        map.insert(k.to_owned(), v.to_owned());
    }
    let body = body
        .map(|b| std::fs::read(b).map_err(|e| format!("cannot read {}: {e}", b.display())))
        .transpose()?;
    let e = explain(platform, &secret, &map, body.as_deref())?;
    Ok(format!(
        "signature: {}\nalgorithm: {}\nsigned string: {}\n",
        e.signature, e.algorithm, e.signed
    ))
}
