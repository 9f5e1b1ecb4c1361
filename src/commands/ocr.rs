//! `shopflow ocr FILE [--kind invoice|text] [--json]`: reads a document (PNG, JPEG, TIFF, PDF)
//! with Tesseract and prints what `ocr.text` / `ocr.invoice` would return. Exit 0; 2 when the
//! document cannot be read (the message says why and what to do).

use std::path::Path;
use std::process::ExitCode;

use shopflow_ocr::{Kind, Limits, OcrResult, Options};

/// What `shopflow ocr` was asked to do.
pub struct OcrArgs<'a> {
    /// The document.
    pub file: &'a Path,
    /// Invoice fields or plain text.
    pub kind: Kind,
    /// Read at most this many PDF pages.
    pub pages: Option<u32>,
    /// Print the JSON result (the `ocr.*` functions' output).
    pub json: bool,
}

/// Reads and prints.
pub fn run(args: &OcrArgs<'_>) -> ExitCode {
    let options = Options {
        pages: args.pages,
        ..Options::default()
    };
    let result = shopflow_ocr::recognize_file(args.file, args.kind, &options);
    // Tesseract reports engines still alive at exit as leaks on stderr.
    shopflow_ocr::engine::Engines::global().release();
    match result {
        Ok(result) => {
            if args.json {
                match serde_json::to_string(&result) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("error: cannot print the result: {e}");
                        return ExitCode::from(1);
                    }
                }
            } else {
                print_human(&result);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: error: {e}", args.file.display());
            eprintln!("  help: {}", e.help(&Limits::default()));
            ExitCode::from(2)
        }
    }
}

fn print_human(result: &OcrResult) {
    let json = serde_json::to_value(result).unwrap_or_default();
    if let Some(fields) = json["fields"].as_object() {
        let width = fields.keys().map(String::len).max().unwrap_or(0);
        for (name, field) in fields {
            let value = match &field["value"] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".into(),
                other => other.to_string(),
            };
            let confidence = field["confidence"].as_f64().unwrap_or(0.0);
            println!("{name:width$}  {value}  ({:.0} %)", confidence * 100.0);
        }
    }
    if json["fields"].as_object().is_none_or(|f| f.is_empty())
        && let Some(text) = json["text"].as_str()
    {
        println!("{text}");
    }
    if json["needs_review"] == true {
        println!("needs review:");
        for reason in json["reasons"].as_array().into_iter().flatten() {
            println!("  - {}", reason["message"].as_str().unwrap_or_default());
        }
    } else {
        println!("no review needed");
    }
}
