//! Preparing a page for Tesseract: skew estimated on a small binarised copy (projection
//! profiles), text size estimated from the same profile, then one rescale to the working text
//! size, one rotation upright, a local threshold (robust to grey backgrounds and cards) and the
//! removal of long rules (table borders read as `|`, `1` or `一` otherwise).

use image::imageops::FilterType;
use image::{GrayImage, Luma};
use imageproc::filter::box_filter;
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp};

/// Largest skew looked for, degrees.
const MAX_SKEW: f32 = 6.0;

/// How a page was turned into the working image, to map boxes back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    /// Working pixels per source pixel.
    pub scale: f32,
    /// The skew corrected, radians (the slope of text lines on the source, y down).
    pub angle: f32,
    /// Source size.
    pub source: (u32, u32),
    /// Working image size.
    pub working: (u32, u32),
}

impl Transform {
    /// The source-page rectangle `(x, y, w, h)` around a working-image rectangle.
    pub fn to_source(&self, x: u32, y: u32, w: u32, h: u32) -> (u32, u32, u32, u32) {
        let corners = [
            (x as f32, y as f32),
            ((x + w) as f32, y as f32),
            (x as f32, (y + h) as f32),
            ((x + w) as f32, (y + h) as f32),
        ];
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (px, py) in corners {
            let (sx, sy) = self.sample_point(px, py);
            let (sx, sy) = (sx / self.scale, sy / self.scale);
            x0 = x0.min(sx);
            y0 = y0.min(sy);
            x1 = x1.max(sx);
            y1 = y1.max(sy);
        }
        let (sw, sh) = (self.source.0 as f32, self.source.1 as f32);
        let x0 = x0.clamp(0.0, sw).floor();
        let y0 = y0.clamp(0.0, sh).floor();
        let x1 = x1.clamp(0.0, sw).ceil();
        let y1 = y1.clamp(0.0, sh).ceil();
        (x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32)
    }

    /// Where on the scaled (not yet rotated) image the working pixel `(x, y)` comes from.
    fn sample_point(&self, x: f32, y: f32) -> (f32, f32) {
        let (cx, cy) = (self.working.0 as f32 / 2.0, self.working.1 as f32 / 2.0);
        let (s, c) = self.angle.sin_cos();
        let (dx, dy) = (x - cx, y - cy);
        (cx + dx * c - dy * s, cy + dx * s + dy * c)
    }
}

/// The working image and how it was made.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Black text (0) on white (255).
    pub image: GrayImage,
    /// How to map boxes back.
    pub transform: Transform,
    /// The median text line height found on the source, pixels.
    pub line_height: f32,
}

/// Settings of the preparation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrepareOptions {
    /// The text line height (pixels, the median height of the rows of ink) pages are scaled
    /// to when theirs is below 4/7 or above twice of it. 28 is 9–10 pt at 300 dpi, where
    /// Tesseract reads best; smaller text (screenshots, 150 dpi scans) is scaled up, posters
    /// down.
    pub target_line_height: f32,
    /// Whether to correct skew.
    pub deskew: bool,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        Self {
            target_line_height: 28.0,
            deskew: true,
        }
    }
}

/// Prepares `page` for recognition.
pub fn prepare(page: &GrayImage, options: &PrepareOptions) -> Prepared {
    let (w, h) = page.dimensions();
    let analysis = analyse(page, options.deskew);
    // Rescale only when the text is well off the target: Tesseract's LSTM normalises each line
    // to a fixed height anyway, so big text only costs time and small text loses strokes.
    let ratio = options.target_line_height / analysis.line_height.max(1.0);
    let scale = if analysis.line_height <= 0.0 || (0.5..=1.75).contains(&ratio) {
        1.0
    } else {
        ratio.clamp(0.35, 4.0)
    };
    let scaled = if scale == 1.0 {
        page.clone()
    } else {
        let nw = ((w as f32 * scale).round() as u32).max(1);
        let nh = ((h as f32 * scale).round() as u32).max(1);
        let filter = if scale < 1.0 {
            FilterType::Triangle
        } else {
            FilterType::CatmullRom
        };
        image::imageops::resize(page, nw, nh, filter)
    };
    let transform = Transform {
        scale,
        angle: analysis.angle,
        source: (w, h),
        working: scaled.dimensions(),
    };
    let upright = if analysis.angle.abs() > 0.0009 {
        rotate(&scaled, &transform)
    } else {
        scaled
    };
    let line_height = analysis.line_height * scale;
    let mut binary = threshold(&upright);
    despeckle(&mut binary);
    remove_rules(&mut binary, line_height.max(12.0));
    Prepared {
        image: binary,
        transform,
        line_height: analysis.line_height,
    }
}

struct Analysis {
    angle: f32,
    line_height: f32,
}

/// Skew and line height from a copy at most 1000 pixels wide.
fn analyse(page: &GrayImage, deskew: bool) -> Analysis {
    let (w, h) = page.dimensions();
    let factor = (1000.0 / w.max(1) as f32).min(1.0);
    let small = if factor < 1.0 {
        image::imageops::thumbnail(
            page,
            ((w as f32 * factor) as u32).max(1),
            ((h as f32 * factor) as u32).max(1),
        )
    } else {
        page.clone()
    };
    let binary = threshold(&small);
    let ink: Vec<(f32, f32)> = binary
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] == 0)
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    if ink.len() < 50 {
        return Analysis {
            angle: 0.0,
            line_height: 0.0,
        };
    }
    let height = small.height() as f32;
    let score = |deg: f32| profile_score(&ink, deg.to_radians(), height);
    let mut best = 0.0f32;
    if deskew {
        let mut best_score = score(0.0).0;
        for step in [0.5f32, 0.1, 0.02] {
            let span = if step == 0.5 { MAX_SKEW } else { step * 5.0 };
            let centre = best;
            let n = (span / step).round() as i32;
            for i in -n..=n {
                let deg = centre + i as f32 * step;
                if deg.abs() > MAX_SKEW {
                    continue;
                }
                let s = score(deg).0;
                if s > best_score * 1.000_001 {
                    best_score = s;
                    best = deg;
                }
            }
        }
        // A flat profile (a photo, a blank page) has no direction worth turning to.
        if best.abs() < 0.05 {
            best = 0.0;
        }
    }
    let (_, profile) = score(best);
    Analysis {
        angle: best.to_radians(),
        line_height: median_run(&profile) / factor,
    }
}

/// Sum of squared row counts of the ink projected at `angle` (high when rows line up), and the
/// profile itself.
fn profile_score(ink: &[(f32, f32)], angle: f32, height: f32) -> (f64, Vec<u32>) {
    let (s, c) = angle.sin_cos();
    let margin = height * 0.2 + 10.0;
    let bins = (height + 2.0 * margin) as usize + 1;
    let mut profile = vec![0u32; bins];
    for &(x, y) in ink {
        let r = y * c - x * s + margin;
        if r >= 0.0 && (r as usize) < bins {
            profile[r as usize] += 1;
        }
    }
    let score = profile.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (score, profile)
}

/// The median height of the runs of rows with ink (text lines), 0 without any.
fn median_run(profile: &[u32]) -> f32 {
    let peak = profile.iter().copied().max().unwrap_or(0);
    let floor = (peak / 50).max(1);
    let mut runs = Vec::new();
    let mut run = 0;
    for &v in profile {
        if v >= floor {
            run += 1;
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    if run > 0 {
        runs.push(run);
    }
    // Rules and specks are one or two rows high.
    runs.retain(|&r| r > 2);
    if runs.is_empty() {
        return 0.0;
    }
    runs.sort_unstable();
    runs[runs.len() / 2] as f32
}

/// Bilinear rotation about the centre by the transform's angle; outside is white.
fn rotate(image: &GrayImage, t: &Transform) -> GrayImage {
    let (cx, cy) = (t.working.0 as f32 / 2.0, t.working.1 as f32 / 2.0);
    // Maps the scaled page onto the working image: the inverse of `Transform::sample_point`.
    let projection = Projection::translate(-cx, -cy)
        .and_then(Projection::rotate(-t.angle))
        .and_then(Projection::translate(cx, cy));
    warp(
        image,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Luma([255])),
    )
}

/// Local-mean thresholding over a 3×3-smoothed copy: ink is more than 24 grey levels darker than
/// the mean of its neighbourhood. Unlike one global Otsu level this keeps grey text on white
/// cards and leaves grey backgrounds white; the smoothing keeps scanner noise from turning into
/// specks.
fn threshold(image: &GrayImage) -> GrayImage {
    const BLOCK: usize = 4;
    let (w, h) = image.dimensions();
    let blurred = box_filter(image, 1, 1);
    let (wu, hu) = (w as usize, h as usize);
    let src = blurred.as_raw();
    // The local mean changes slowly over a window of ~100 px, so it is taken over 4×4 block
    // means: a 16 times smaller integral image (64-bit: imageproc's `adaptive_threshold` sums
    // in u32, which overflows on large pages), windows clipped at the edges.
    let (bw, bh) = (wu.div_ceil(BLOCK), hu.div_ceil(BLOCK));
    let mut blocks = vec![0u32; bw * bh];
    for (y, row) in src.chunks_exact(wu).enumerate() {
        let line = &mut blocks[(y / BLOCK) * bw..(y / BLOCK + 1) * bw];
        for (x, &v) in row.iter().enumerate() {
            line[x / BLOCK] += u32::from(v);
        }
    }
    let stride = bw + 1;
    let mut integral = vec![0u64; stride * (bh + 1)];
    for y in 0..bh {
        let mut acc = 0u64;
        for x in 0..bw {
            let full_w = (wu - x * BLOCK).min(BLOCK) as u64;
            let full_h = (hu - y * BLOCK).min(BLOCK) as u64;
            // Scaled to a full block so edge blocks weigh like the others.
            acc += u64::from(blocks[y * bw + x]) * (BLOCK * BLOCK) as u64 / (full_w * full_h);
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + acc;
        }
    }
    let radius = ((w.max(h) / 32).clamp(15, 120) as usize).div_ceil(BLOCK);
    let mut means = vec![0u8; bw * bh];
    for by in 0..bh {
        let (y0, y1) = (by.saturating_sub(radius), (by + radius + 1).min(bh));
        for bx in 0..bw {
            let (x0, x1) = (bx.saturating_sub(radius), (bx + radius + 1).min(bw));
            let sum = integral[y1 * stride + x1] + integral[y0 * stride + x0]
                - integral[y0 * stride + x1]
                - integral[y1 * stride + x0];
            let area = ((y1 - y0) * (x1 - x0) * BLOCK * BLOCK) as u64;
            means[by * bw + bx] = (sum / area.max(1)).min(255) as u8;
        }
    }
    let mut out = GrayImage::new(w, h);
    for (y, (dst, row)) in out
        .chunks_exact_mut(wu)
        .zip(src.chunks_exact(wu))
        .enumerate()
    {
        let block_means = &means[(y / BLOCK) * bw..(y / BLOCK + 1) * bw];
        for (x, (d, &v)) in dst.iter_mut().zip(row).enumerate() {
            *d = if u16::from(v) + 24 < u16::from(block_means[x / BLOCK]) {
                0
            } else {
                255
            };
        }
    }
    out
}

/// Removes ink pixels with at most one ink neighbour (noise the smoothing left).
fn despeckle(image: &mut GrayImage) {
    let (w, h) = image.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let src = image.as_raw().clone();
    let dst: &mut [u8] = image;
    for (i, _) in src.iter().enumerate().filter(|(_, v)| **v == 0) {
        let (x, y) = (i % wu, i / wu);
        let mut neighbours = 0;
        for yy in y.saturating_sub(1)..=(y + 1).min(hu - 1) {
            for xx in x.saturating_sub(1)..=(x + 1).min(wu - 1) {
                if src[yy * wu + xx] == 0 {
                    neighbours += 1;
                }
            }
        }
        // The pixel itself counts once.
        if neighbours <= 2 {
            dst[i] = 255;
        }
    }
}

/// Whitens horizontal runs longer than six text lines and vertical runs longer than two and a
/// half: table rules and frames, never strokes of a character.
fn remove_rules(image: &mut GrayImage, line_height: f32) {
    let (w, h) = image.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let min_h = (line_height * 6.0).max(60.0) as usize;
    let min_v = (line_height * 2.5).max(40.0) as usize;
    let src = image.as_raw().clone();
    let dst: &mut [u8] = image;
    for y in 0..hu {
        let mut x = 0;
        while x < wu {
            if src[y * wu + x] == 0 {
                let start = x;
                while x < wu && src[y * wu + x] == 0 {
                    x += 1;
                }
                if x - start >= min_h {
                    dst[y * wu + start..y * wu + x].fill(255);
                }
            } else {
                x += 1;
            }
        }
    }
    // Vertical runs row by row (column-wise walks thrash the cache): each column's current
    // run length, a run long enough is whitened once it ends.
    let mut run = vec![0usize; wu];
    for y in 0..=hu {
        for x in 0..wu {
            let ink = y < hu && src[y * wu + x] == 0;
            if ink {
                run[x] += 1;
            } else {
                if run[x] >= min_v {
                    for yy in y - run[x]..y {
                        dst[yy * wu + x] = 255;
                    }
                }
                run[x] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn striped(angle_deg: f32) -> GrayImage {
        // Dashed "text lines" 20 px high every 60 px, drawn with a slope.
        let t = angle_deg.to_radians().tan();
        GrayImage::from_fn(1200, 900, |x, y| {
            let yy = y as f32 - x as f32 * t;
            let in_line = (yy.rem_euclid(60.0)) < 20.0 && yy > 100.0 && yy < 800.0;
            let in_word = (x / 25) % 4 != 3 && x > 100 && x < 1100;
            Luma([if in_line && in_word { 0 } else { 255 }])
        })
    }

    #[test]
    fn finds_skew_and_line_height() {
        for deg in [-3.0f32, -1.2, 0.0, 2.0, 3.0] {
            let a = analyse(&striped(deg), true);
            assert!(
                (a.angle.to_degrees() - deg).abs() < 0.15,
                "{deg}: {}",
                a.angle.to_degrees()
            );
            assert!((a.line_height - 20.0).abs() <= 4.0, "{}", a.line_height);
        }
    }

    #[test]
    fn deskewed_page_is_upright_and_boxes_map_back() {
        let page = striped(3.0);
        let p = prepare(&page, &PrepareOptions::default());
        let again = analyse(&p.image, true);
        assert!(
            again.angle.to_degrees().abs() < 0.15,
            "{}",
            again.angle.to_degrees()
        );
        // 20-pixel rows are within reach of the 28-pixel target: no rescaling.
        assert_eq!(p.transform.scale, 1.0, "{:?}", p.transform);
    }

    #[test]
    fn boxes_map_back_through_rotation_and_scale() {
        // A dark square at (300, 200) on a 1000×800 source, rotated 3°: find it on the working
        // image and map its box back.
        let mut source = GrayImage::from_pixel(1000, 800, Luma([255]));
        for y in 200..220 {
            for x in 300..320 {
                source.put_pixel(x, y, Luma([0]));
            }
        }
        let t = Transform {
            scale: 1.0,
            angle: 3f32.to_radians(),
            source: (1000, 800),
            working: (1000, 800),
        };
        let working = rotate(&source, &t);
        let ink: Vec<(u32, u32)> = working
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] < 128)
            .map(|(x, y, _)| (x, y))
            .collect();
        let x0 = ink.iter().map(|p| p.0).min().unwrap();
        let y0 = ink.iter().map(|p| p.1).min().unwrap();
        let x1 = ink.iter().map(|p| p.0).max().unwrap();
        let y1 = ink.iter().map(|p| p.1).max().unwrap();
        let (x, y, w, h) = t.to_source(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
        assert!(x.abs_diff(300) <= 3 && y.abs_diff(200) <= 3, "{x} {y}");
        assert!((20..=26).contains(&w) && (20..=26).contains(&h), "{w} {h}");
        let scaled = Transform {
            scale: 2.0,
            angle: 0.0,
            source: (500, 400),
            working: (1000, 800),
        };
        assert_eq!(scaled.to_source(100, 60, 40, 20), (50, 30, 20, 10));
    }

    #[test]
    fn rules_go_text_stays() {
        let mut img = GrayImage::from_pixel(800, 400, Luma([255]));
        for x in 20..780 {
            img.put_pixel(x, 200, Luma([0]));
            img.put_pixel(x, 201, Luma([0]));
        }
        for y in 100..140 {
            for x in 100..104 {
                img.put_pixel(x, y, Luma([0]));
            }
        }
        remove_rules(&mut img, 40.0);
        assert_eq!(img.get_pixel(400, 200).0[0], 255);
        assert_eq!(img.get_pixel(101, 120).0[0], 0);
    }
}
