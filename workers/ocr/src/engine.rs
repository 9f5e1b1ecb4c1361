//! Tesseract engines (through leptess), initialised once per language set and reused: loading
//! `chi_sim` takes a good part of a second, recognising a page about as long. An engine is
//! leased to one thread at a time and returned after use; one that was in use when a panic
//! unwound is dropped instead, never reused half-way through a page.

use std::collections::HashMap;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use image::GrayImage;
use leptess::Variable;
use leptess::tesseract::TessApi;

use crate::error::Error;

/// Page segmentation modes (Tesseract's `--psm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segmentation {
    /// 3: fully automatic page layout.
    Auto,
    /// 4: one column of text of variable sizes (rows of a table stay whole, a title next to
    /// smaller text does not swallow it).
    Column,
    /// 6: one uniform block of text.
    Block,
    /// 7: one line of text.
    Line,
    /// 11: as much text as possible, in no particular order.
    Sparse,
}

impl Segmentation {
    fn value(self) -> &'static str {
        match self {
            Segmentation::Auto => "3",
            Segmentation::Column => "4",
            Segmentation::Block => "6",
            Segmentation::Line => "7",
            Segmentation::Sparse => "11",
        }
    }
}

/// A word Tesseract read, in working-image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The text.
    pub text: String,
    /// Confidence 0..1.
    pub confidence: f32,
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// The engines of a process.
pub struct Engines {
    tessdata: Mutex<Option<PathBuf>>,
    idle: Mutex<HashMap<String, Vec<TessApi>>>,
    /// Engines kept per language set; more are made under load and dropped after.
    max_idle: usize,
}

impl Engines {
    /// The process-wide engines (`TESSDATA_PREFIX` or the Debian model directory).
    pub fn global() -> &'static Engines {
        static GLOBAL: OnceLock<Engines> = OnceLock::new();
        GLOBAL.get_or_init(|| Engines {
            tessdata: Mutex::new(None),
            idle: Mutex::new(HashMap::new()),
            max_idle: std::thread::available_parallelism().map_or(2, usize::from),
        })
    }

    /// Drops the idle engines. Tesseract complains about "leaks" at exit when engines outlive
    /// `main` (they live in a static); a CLI can call this before it returns.
    pub fn release(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Where the language models are.
    pub fn tessdata(&self) -> Result<PathBuf, Error> {
        let mut guard = self.tessdata.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = guard.as_ref() {
            return Ok(dir.clone());
        }
        let dir = find_tessdata().ok_or_else(|| Error::MissingLanguage {
            language: "eng".into(),
            tessdata: "TESSDATA_PREFIX, /usr/share/tesseract-ocr/5/tessdata, \
                       /usr/share/tesseract-ocr/4.00/tessdata, /usr/share/tessdata"
                .into(),
            package: "eng".into(),
        })?;
        *guard = Some(dir.clone());
        Ok(dir)
    }

    /// Checks a `chi_sim+eng` language list: well-formed and installed.
    pub fn check_languages(&self, languages: &str) -> Result<(), Error> {
        let dir = self.tessdata()?;
        if languages.is_empty() || languages.split('+').any(|l| !well_formed(l)) {
            return Err(Error::BadArgument(format!(
                "`languages` must be Tesseract language codes joined by `+` (`chi_sim+eng`), \
                 got `{languages}`"
            )));
        }
        for language in languages.split('+') {
            if !dir.join(format!("{language}.traineddata")).is_file() {
                return Err(Error::MissingLanguage {
                    language: language.to_owned(),
                    tessdata: dir.display().to_string(),
                    package: language.replace('_', "-"),
                });
            }
        }
        Ok(())
    }

    /// Reads the words of a black-on-white page.
    pub fn recognize(
        &self,
        image: &GrayImage,
        languages: &str,
        segmentation: Segmentation,
        dpi: u32,
    ) -> Result<Vec<Word>, Error> {
        let mut lease = self.lease(languages)?;
        let api = lease
            .api
            .as_mut()
            .ok_or_else(|| Error::Engine("no engine".into()))?;
        set(api, Variable::TesseditPagesegMode, segmentation.value())?;
        let (w, h) = image.dimensions();
        let (wi, hi) = (
            i32::try_from(w).map_err(|_| Error::Engine("image too wide".into()))?,
            i32::try_from(h).map_err(|_| Error::Engine("image too high".into()))?,
        );
        api.raw
            .set_image(image.as_raw(), wi, hi, 1, wi)
            .map_err(|e| Error::Engine(format!("set_image: {e:?}")))?;
        api.set_source_resolution(i32::try_from(dpi).unwrap_or(300));
        let tsv = api
            .get_tsv_text(0)
            .map_err(|e| Error::Engine(format!("reading the result: {e}")))?;
        Ok(parse_tsv(&tsv))
    }

    fn lease(&self, languages: &str) -> Result<Lease<'_>, Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(languages)
            .and_then(Vec::pop);
        let api = match idle {
            Some(api) => api,
            None => {
                self.check_languages(languages)?;
                let dir = self.tessdata()?;
                let dir = dir.to_str().ok_or_else(|| {
                    Error::Engine(format!("tessdata path {} is not UTF-8", dir.display()))
                })?;
                let mut api = TessApi::new(Some(dir), languages).map_err(|e| {
                    Error::Engine(format!("initialising `{languages}` from {dir}: {e}"))
                })?;
                // Tesseract's own dictionaries "correct" invoice numbers and ids into words.
                set(&mut api, Variable::LoadSystemDawg, "0")?;
                set(&mut api, Variable::LoadFreqDawg, "0")?;
                api
            }
        };
        Ok(Lease {
            engines: self,
            languages: languages.to_owned(),
            api: Some(api),
        })
    }
}

/// An engine lent to one recognition.
struct Lease<'a> {
    engines: &'a Engines,
    languages: String,
    api: Option<TessApi>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        // An engine a panic interrupted may hold half a page: drop it rather than reuse it.
        if std::thread::panicking() {
            return;
        }
        if let Some(api) = self.api.take() {
            let mut idle = self.engines.idle.lock().unwrap_or_else(|e| e.into_inner());
            let list = idle.entry(std::mem::take(&mut self.languages)).or_default();
            if list.len() < self.engines.max_idle {
                list.push(api);
            }
        }
    }
}

fn set(api: &mut TessApi, name: Variable, value: &str) -> Result<(), Error> {
    let value = CString::new(value).map_err(|e| Error::Engine(e.to_string()))?;
    api.raw
        .set_variable(name.as_cstr(), &value)
        .map_err(|_| Error::Engine(format!("setting {:?}", name.as_cstr())))
}

fn well_formed(language: &str) -> bool {
    (2..=24).contains(&language.len())
        && language
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn find_tessdata() -> Option<PathBuf> {
    let from_env = std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from);
    let candidates = from_env.into_iter().chain(
        [
            "/usr/share/tesseract-ocr/5/tessdata",
            "/usr/share/tesseract-ocr/4.00/tessdata",
            "/usr/share/tessdata",
            "/usr/local/share/tessdata",
        ]
        .iter()
        .map(PathBuf::from),
    );
    candidates.into_iter().find(|d| has_models(d))
}

fn has_models(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "traineddata"))
    })
}

/// Words (level 5) of Tesseract's TSV output.
fn parse_tsv(tsv: &str) -> Vec<Word> {
    tsv.lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 12 || cols[0] != "5" {
                return None;
            }
            let text = cols[11].trim();
            if text.is_empty() {
                return None;
            }
            let n = |i: usize| cols[i].parse::<u32>().ok();
            let confidence = cols[10].parse::<f32>().ok()?;
            Some(Word {
                text: text.to_owned(),
                confidence: (confidence / 100.0).clamp(0.0, 1.0),
                x: n(6)?,
                y: n(7)?,
                w: n(8)?,
                h: n(9)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   4\t1\t1\t1\t1\t0\t10\t10\t100\t20\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t10\t40\t20\t96.5\t发票号码\n\
                   5\t1\t1\t1\t1\t2\t60\t10\t50\t20\t91\t25312000000012345678\n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].text, "发票号码");
        assert!((words[0].confidence - 0.965).abs() < 1e-6);
        assert_eq!((words[1].x, words[1].w), (60, 50));
        assert!(well_formed("chi_sim") && !well_formed("../x") && !well_formed("Chi"));
    }
}
