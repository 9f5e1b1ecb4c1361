//! An amount in Chinese capital numerals, as 价税合计（大写） prints it (`壹佰零肆圆玖角整`).

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
const GROUPS: [&str; 3] = ["", "万", "亿"];

/// `10490` fen → `壹佰零肆圆玖角整`; `1000000` → `壹万圆整`; `5` → `伍分`. Negative amounts get
/// a leading `负`.
pub fn yuan_in_words(fen: i64) -> String {
    let mut out = String::new();
    if fen < 0 {
        out.push('负');
    }
    let fen = fen.unsigned_abs();
    let (yuan, jiao, fen_digit) = (fen / 100, (fen / 10) % 10, fen % 10);
    if yuan > 0 {
        out.push_str(&integer_words(yuan));
        out.push('圆');
    }
    match (jiao, fen_digit) {
        (0, 0) => {
            if yuan == 0 {
                out.push_str("零圆");
            }
            out.push('整');
        }
        (j, 0) => {
            out.push(DIGITS[j as usize]);
            out.push_str("角整");
        }
        (j, f) => {
            if j == 0 {
                if yuan > 0 {
                    out.push('零');
                }
            } else {
                out.push(DIGITS[j as usize]);
                out.push('角');
            }
            out.push(DIGITS[f as usize]);
            out.push('分');
        }
    }
    out
}

fn integer_words(mut n: u64) -> String {
    let mut groups = Vec::new();
    while n > 0 {
        groups.push(n % 10_000);
        n /= 10_000;
    }
    let mut out = String::new();
    let mut pending_zero = false;
    for (i, &group) in groups.iter().enumerate().rev() {
        if group == 0 {
            pending_zero = !out.is_empty();
            continue;
        }
        if pending_zero || (!out.is_empty() && group < 1000) {
            out.push('零');
        }
        pending_zero = false;
        let digits = [
            group / 1000,
            (group / 100) % 10,
            (group / 10) % 10,
            group % 10,
        ];
        let mut zero = false;
        let mut started = false;
        for (pos, &d) in digits.iter().enumerate() {
            if d == 0 {
                zero = started;
                continue;
            }
            if zero {
                out.push('零');
                zero = false;
            }
            started = true;
            out.push(DIGITS[d as usize]);
            out.push_str(UNITS[3 - pos]);
        }
        out.push_str(GROUPS[i.min(2)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(yuan_in_words(10490), "壹佰零肆圆玖角整");
        assert_eq!(yuan_in_words(10491), "壹佰零肆圆玖角壹分");
        assert_eq!(yuan_in_words(10401), "壹佰零肆圆零壹分");
        assert_eq!(yuan_in_words(100_000_000), "壹佰万圆整");
        assert_eq!(yuan_in_words(1_000_500), "壹万零伍圆整");
        assert_eq!(yuan_in_words(5), "伍分");
        assert_eq!(yuan_in_words(0), "零圆整");
        assert_eq!(yuan_in_words(146_913), "壹仟肆佰陆拾玖圆壹角叁分");
    }
}
