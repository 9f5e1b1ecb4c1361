//! Field accuracy per layout and field over the synthetic documents, and the time per A4 page.
//!
//! ```sh
//! OMP_THREAD_LIMIT=1 CARGO_TARGET_DIR=/work/target-ocr \
//!     cargo run --release -p shopflow-ocr --example ocr_eval            # accuracy + speed
//! ... --example ocr_eval -- speed                                         # speed only
//! ... --example ocr_eval -- dump fapiao VARIANT OUT.png [FONT ROTATION NOISE JPEG]  # one sample
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use shopflow_ocr::samples::{self, RenderOptions, SampleFont, SampleLayout};
use shopflow_ocr::{Kind, Options, recognize_image};

/// The distortions every layout is rendered with.
fn conditions() -> Vec<(&'static str, f32, f32, Option<u8>)> {
    vec![
        ("clean", 0.0, 0.0, None),
        ("rotated +3°", 3.0, 0.0, None),
        ("rotated -2.5°", -2.5, 0.0, None),
        ("noise σ=20", 0.0, 20.0, None),
        ("JPEG q=30", 0.0, 0.0, Some(30)),
        ("rot -1.5° + noise 12 + JPEG 40", -1.5, 12.0, Some(40)),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("speed") => speed(),
        Some("dump") => dump(&args[1..]),
        Some("profile") => profile(),
        _ => {
            accuracy()?;
            speed()
        }
    }?;
    shopflow_ocr::engine::Engines::global().release();
    Ok(())
}

/// Where the time of one page goes (render, preparation, whole recognition).
fn profile() -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let page = samples::benchmark_fapiao_page()?;
    println!("render {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let prepared = shopflow_ocr::preprocess::prepare(&page.image, &Default::default());
    println!(
        "prepare {:.2} s (scale {})",
        t.elapsed().as_secs_f64(),
        prepared.transform.scale
    );
    let engines = shopflow_ocr::engine::Engines::global();
    for lang in ["chi_sim", "chi_sim", "eng", "chi_sim+eng"] {
        let t = Instant::now();
        let c = thread_cpu_ns();
        let words = engines.recognize(
            &prepared.image,
            lang,
            shopflow_ocr::Segmentation::Block,
            300,
        )?;
        println!(
            "tesseract {lang}: {} words, {:.2} s wall, {:.2} s CPU",
            words.len(),
            t.elapsed().as_secs_f64(),
            (thread_cpu_ns() - c) as f64 / 1e9
        );
    }
    let options = Options::default();
    for _ in 0..2 {
        let t = Instant::now();
        let c = thread_cpu_ns();
        recognize_image(&page.image, Kind::Invoice, &options)?;
        println!(
            "recognize_image {:.2} s wall, {:.2} s CPU",
            t.elapsed().as_secs_f64(),
            (thread_cpu_ns() - c) as f64 / 1e9
        );
    }
    Ok(())
}

fn layout_by_name(name: &str) -> SampleLayout {
    SampleLayout::ALL
        .into_iter()
        .find(|l| l.name() == name)
        .unwrap_or(SampleLayout::Fapiao)
}

fn dump(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let layout = layout_by_name(args.first().map_or("fapiao", String::as_str));
    let variant = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let font = args
        .get(3)
        .and_then(|f| f.parse::<usize>().ok())
        .map_or(SampleFont::NotoSansCjk, |i| SampleFont::ALL[i % 5]);
    let sample = samples::render(
        layout,
        &RenderOptions {
            variant,
            font,
            rotation_degrees: args.get(4).and_then(|r| r.parse().ok()).unwrap_or(0.0),
            noise: args.get(5).and_then(|r| r.parse().ok()).unwrap_or(0.0),
            jpeg_quality: args.get(6).and_then(|r| r.parse().ok()).filter(|q| *q > 0),
            tamper: match args.get(7).map(String::as_str) {
                Some("total") => samples::Tamper::WrongTotal,
                Some("tax_id") => samples::Tamper::BadSellerTaxId,
                _ => samples::Tamper::None,
            },
            ..RenderOptions::default()
        },
    )?;
    if let Some(path) = args.get(2) {
        sample.image.save(path)?;
        let prepared = shopflow_ocr::preprocess::prepare(&sample.image, &Default::default());
        prepared.image.save(format!("{path}.prepared.png"))?;
    }
    let result = recognize_image(&sample.image, Kind::Invoice, &Options::default())?;
    println!("{}", result.text);
    println!("{}", serde_json::to_string_pretty(&result.fields)?);
    println!("{}", serde_json::to_string_pretty(&result.line_items)?);
    println!("{:?}", result.reasons);
    println!("{:?}", result.pages);
    for s in samples::compare(&sample.truth, &result) {
        if !s.correct {
            println!(
                "WRONG {}: expected {:?}, got {:?}",
                s.field, s.expected, s.got
            );
        }
    }
    Ok(())
}

fn accuracy() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::default();
    // (layout, field) → (right, total)
    let mut table: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
    let mut by_condition: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut by_font: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut pages = 0;
    let started = Instant::now();
    for layout in SampleLayout::ALL {
        for variant in 0..layout.variants() {
            for (i, font) in SampleFont::ALL.into_iter().enumerate() {
                for (j, (condition, rotation, noise, jpeg)) in conditions().into_iter().enumerate()
                {
                    // Every font with the clean render, and each distortion with a rotating
                    // font, to keep the run short.
                    if j != 0 && (i + j + variant) % SampleFont::ALL.len() != 0 {
                        continue;
                    }
                    let sample = samples::render(
                        layout,
                        &RenderOptions {
                            variant,
                            font,
                            rotation_degrees: rotation,
                            noise,
                            jpeg_quality: jpeg,
                            seed: (i * 31 + j) as u64,
                            ..RenderOptions::default()
                        },
                    )?;
                    let result = recognize_image(&sample.image, Kind::Invoice, &options)?;
                    pages += 1;
                    for s in samples::compare(&sample.truth, &result) {
                        let ok = u32::from(s.correct);
                        for (map, key) in [
                            (&mut by_condition, condition.to_owned()),
                            (&mut by_font, font.name().to_owned()),
                        ] {
                            let e = map.entry(key).or_default();
                            e.0 += ok;
                            e.1 += 1;
                        }
                        let e = table
                            .entry((layout.name().to_owned(), s.field.clone()))
                            .or_default();
                        e.0 += ok;
                        e.1 += 1;
                        if !s.correct {
                            eprintln!(
                                "miss {} v{variant} {} {condition}: {} expected {:?} got {:?}",
                                layout.name(),
                                font.name(),
                                s.field,
                                s.expected,
                                s.got
                            );
                        }
                    }
                }
            }
        }
    }
    println!(
        "\n{pages} pages in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    println!("| Layout | Field | Exact | Accuracy |\n|---|---|---|---|");
    let mut per_layout: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for ((layout, field), (right, total)) in &table {
        println!(
            "| {layout} | {field} | {right}/{total} | {:.0}% |",
            pct(*right, *total)
        );
        let e = per_layout.entry(layout.clone()).or_default();
        e.0 += right;
        e.1 += total;
    }
    println!("\n| Layout | Fields exact |\n|---|---|");
    for (layout, (r, t)) in &per_layout {
        println!("| {layout} | {r}/{t} ({:.1}%) |", pct(*r, *t));
    }
    println!("\n| Condition | Fields exact |\n|---|---|");
    for (c, (r, t)) in &by_condition {
        println!("| {c} | {r}/{t} ({:.1}%) |", pct(*r, *t));
    }
    println!("\n| Font | Fields exact |\n|---|---|");
    for (c, (r, t)) in &by_font {
        println!("| {c} | {r}/{t} ({:.1}%) |", pct(*r, *t));
    }
    Ok(())
}

fn pct(r: u32, t: u32) -> f64 {
    if t == 0 {
        0.0
    } else {
        f64::from(r) * 100.0 / f64::from(t)
    }
}

/// CPU time of this thread (Linux), nanoseconds: the machine may be shared, and the target is
/// per core.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn speed() -> Result<(), Box<dyn std::error::Error>> {
    let page = samples::benchmark_fapiao_page()?;
    let options = Options::default();
    // The first call loads the models.
    let first = Instant::now();
    let cpu0 = thread_cpu_ns();
    recognize_image(&page.image, Kind::Invoice, &options)?;
    let cold = (first.elapsed(), thread_cpu_ns() - cpu0);
    let mut wall: Vec<Duration> = Vec::new();
    let mut cpu: Vec<u64> = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let c = thread_cpu_ns();
        let r = recognize_image(&page.image, Kind::Invoice, &options)?;
        wall.push(t.elapsed());
        cpu.push(thread_cpu_ns() - c);
        assert!(!r.fields.is_empty());
    }
    wall.sort();
    cpu.sort();
    let secs = |ns: u64| ns as f64 / 1e9;
    println!(
        "\nA4 fapiao at 300 dpi (2480×3508), {}, {} runs after a first call \
         (wall {:.2} s, CPU {:.2} s: loads chi_sim+eng):\n  wall: min {:.2} s, median {:.2} s, max {:.2} s\n  CPU of the recognising thread: min {:.2} s, median {:.2} s, max {:.2} s",
        std::env::var("OMP_THREAD_LIMIT").map_or("OMP_THREAD_LIMIT unset".into(), |v| format!(
            "OMP_THREAD_LIMIT={v}"
        )),
        wall.len(),
        cold.0.as_secs_f64(),
        secs(cold.1),
        wall[0].as_secs_f64(),
        wall[wall.len() / 2].as_secs_f64(),
        wall[wall.len() - 1].as_secs_f64(),
        secs(cpu[0]),
        secs(cpu[cpu.len() / 2]),
        secs(cpu[cpu.len() - 1]),
    );
    shopflow_ocr::engine::Engines::global().release();
    Ok(())
}
