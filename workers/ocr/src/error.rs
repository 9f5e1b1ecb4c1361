//! Why a document could not be read, with whether retrying can help, and its RFC 7807 form.

use shopflow_core::{ErrorKind, WorkflowError};

use crate::input::Limits;

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Zero bytes.
    #[error("the document is empty (0 bytes)")]
    Empty,
    /// Not PNG, JPEG, TIFF or PDF.
    #[error("unsupported document type ({found}); OCR reads PNG, JPEG, TIFF and PDF")]
    Unsupported {
        /// What the bytes look like (a media type or the first bytes).
        found: String,
    },
    /// The bytes claim a supported type but do not decode.
    #[error("the {format} is corrupt or truncated: {reason}")]
    Corrupt {
        /// `PNG image`, `PDF`, …
        format: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// More bytes than the limit.
    #[error("the document is {bytes} bytes; the limit is {limit} bytes")]
    FileTooLarge {
        /// Size.
        bytes: u64,
        /// Limit.
        limit: u64,
    },
    /// A page with more pixels than the limit (refused from the header, before decoding).
    #[error(
        "page {page} is {width}×{height} pixels ({:.1} megapixels); the limit is {:.0} megapixels per page",
        (*width as f64) * (*height as f64) / 1e6,
        (*limit as f64) / 1e6
    )]
    TooManyPixels {
        /// Page number from 1.
        page: u32,
        /// Width in pixels (at 300 dpi for PDF pages).
        width: u64,
        /// Height in pixels.
        height: u64,
        /// Limit in pixels.
        limit: u64,
    },
    /// A PDF with more pages than the limit.
    #[error("the PDF has {pages} pages; at most {limit} are read per call")]
    TooManyPages {
        /// Pages in the PDF.
        pages: u32,
        /// Limit.
        limit: u32,
    },
    /// A program OCR needs is not installed.
    #[error("`{tool}` is not installed (Debian package {package})")]
    MissingTool {
        /// The program.
        tool: String,
        /// The package that has it.
        package: String,
    },
    /// Tesseract has no model for a requested language.
    #[error(
        "Tesseract language `{language}` is not installed in {tessdata} (Debian package tesseract-ocr-{package})"
    )]
    MissingLanguage {
        /// The language code (`chi_sim`).
        language: String,
        /// Where the models were looked for.
        tessdata: String,
        /// The Debian package suffix (`chi-sim`).
        package: String,
    },
    /// A malformed argument (languages, media type).
    #[error("{0}")]
    BadArgument(String),
    /// A tool ran longer than allowed.
    #[error("`{tool}` took longer than {seconds} s")]
    Timeout {
        /// The program.
        tool: String,
        /// The limit.
        seconds: u64,
    },
    /// Tesseract failed to start or to recognise.
    #[error("Tesseract failed: {0}")]
    Engine(String),
    /// The OCR code panicked; the pool survived.
    #[error("OCR crashed on this document: {0}")]
    Panicked(String),
    /// Reading or writing a temporary file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl Error {
    /// Whether running the same call again can succeed. Only temporary trouble (the file
    /// system) can pass; the same bytes fail the same way otherwise.
    pub fn retryable(&self) -> bool {
        matches!(self, Error::Io { .. })
    }

    /// The DSL error type.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Empty
            | Error::Unsupported { .. }
            | Error::Corrupt { .. }
            | Error::FileTooLarge { .. }
            | Error::TooManyPixels { .. }
            | Error::TooManyPages { .. }
            | Error::BadArgument(_) => ErrorKind::Validation,
            Error::MissingTool { .. } | Error::MissingLanguage { .. } => ErrorKind::Configuration,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Engine(_) | Error::Panicked(_) | Error::Io { .. } => ErrorKind::Runtime,
        }
    }

    /// A short title for the problem.
    pub fn title(&self) -> &'static str {
        match self {
            Error::Empty => "Empty document",
            Error::Unsupported { .. } => "Unsupported document type",
            Error::Corrupt { .. } => "Corrupt document",
            Error::FileTooLarge { .. } => "Document too large",
            Error::TooManyPixels { .. } => "Image too large",
            Error::TooManyPages { .. } => "Too many pages",
            Error::MissingTool { .. } => "OCR tool not installed",
            Error::MissingLanguage { .. } => "OCR language not installed",
            Error::BadArgument(_) => "Invalid arguments",
            Error::Timeout { .. } => "OCR timed out",
            Error::Engine(_) => "OCR engine failed",
            Error::Panicked(_) => "OCR crashed",
            Error::Io { .. } => "OCR file error",
        }
    }

    /// What to do about it.
    pub fn help(&self, limits: &Limits) -> String {
        match self {
            Error::Empty => "Check the step that produced the document (a failed download \
                             stores an empty file)."
                .into(),
            Error::Unsupported { .. } => {
                "Convert the document to PDF, PNG, JPEG or TIFF (a screenshot as PNG).".into()
            }
            Error::Corrupt { .. } => {
                "Download or export the document again; the stored bytes cannot be decoded.".into()
            }
            Error::FileTooLarge { .. } => {
                format!("Send a file under {} MB.", limits.max_bytes / 1_000_000)
            }
            Error::TooManyPixels { .. } => format!(
                "Scale the image down (300 dpi is enough: an A4 page is 8.7 megapixels) or crop \
                 it; at most {} megapixels per page.",
                limits.max_pixels / 1_000_000
            ),
            Error::TooManyPages { .. } => format!(
                "Pass `pages: N` (at most {}) to read the first N pages, or split the PDF.",
                limits.max_pages
            ),
            Error::MissingTool { package, .. } => {
                format!("Install it: `apt-get install {package}` (scripts/setup.sh does).")
            }
            Error::MissingLanguage { package, .. } => format!(
                "Install it: `apt-get install tesseract-ocr-{package}`, or set TESSDATA_PREFIX \
                 to a directory that has the model, or ask for other `languages`."
            ),
            Error::BadArgument(_) => "See docs/functions/ocr.invoice.md for the arguments.".into(),
            Error::Timeout { .. } => "The document is too complex to rasterise in time; \
                                      simplify or split it."
                .into(),
            Error::Engine(_) | Error::Panicked(_) => {
                "Report it with the document; other documents are not affected.".into()
            }
            Error::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => "Check the file's path.".into(),
                std::io::ErrorKind::PermissionDenied => {
                    "Check the file's permissions (shopflow must be able to read it).".into()
                }
                _ => "Check the free space and permissions of the temporary directory.".into(),
            },
        }
    }

    /// The RFC 7807 problem for a flow: what (this error), where (`source`, e.g.
    /// `` `with.artifact` sha256:… ``, and the task `instance`), how to fix it, and whether a retry
    /// helps.
    pub fn to_workflow_error(
        &self,
        source: &str,
        instance: &str,
        limits: &Limits,
    ) -> WorkflowError {
        let retry = if self.retryable() {
            "Retrying may help."
        } else {
            "Retrying the same document fails the same way."
        };
        WorkflowError::new(self.kind(), self.title())
            .with_detail(format!("{source}: {self}. {} {retry}", self.help(limits)))
            .retryable(self.retryable())
            .at(instance)
    }
}
