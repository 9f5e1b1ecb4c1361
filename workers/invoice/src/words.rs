//! An amount in Chinese capital numerals, as 价税合计（大写） prints it.
//!
//! The forms follow the People's Bank of China's rules for writing amounts on bills
//! (《正确填写票据和结算凭证的基本规定》): every 拾 has its digit (`壹拾`, never a bare `拾`, so
//! nothing can be written in front of it); one 零 stands for a run of zeros inside the number
//! (`壹仟零壹圆`) and for a zero 万 or 亿 group followed by more digits (`壹亿零壹圆`); 整 follows
//! an amount that ends at 圆, may be left out after 角 (the rules allow both; we leave it out,
//! as tax-control printouts do), and never follows 分; a zero 角 before a 分 is written 零
//! (`壹佰圆零伍分`), a zero 圆 place before a 角 is not (`壹佰壹拾圆伍角`, which the rules also
//! allow).

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// The units of the four places of a group, from the left.
const PLACES: [&str; 4] = ["仟", "佰", "拾", ""];

/// `fen` in words: `10490` → `壹佰零肆圆玖角`, `100000` → `壹仟圆整`, `5` → `伍分`,
/// `0` → `零圆整`; a negative amount starts with `负`.
pub fn in_words(fen: i64) -> String {
    let mut out = String::new();
    if fen < 0 {
        out.push('负');
    }
    let fen = fen.unsigned_abs();
    let (yuan, jiao, fen_digit) = (fen / 100, (fen / 10 % 10) as usize, (fen % 10) as usize);
    if yuan == 0 && jiao == 0 && fen_digit == 0 {
        out.push_str("零圆整");
        return out;
    }
    if yuan > 0 {
        out.push_str(&integer(yuan));
        out.push('圆');
    }
    match (jiao, fen_digit) {
        (0, 0) => out.push('整'),
        (j, 0) => {
            out.push(DIGITS[j]);
            out.push('角');
        }
        (0, f) => {
            if yuan > 0 {
                out.push('零');
            }
            out.push(DIGITS[f]);
            out.push('分');
        }
        (j, f) => {
            out.push(DIGITS[j]);
            out.push('角');
            out.push(DIGITS[f]);
            out.push('分');
        }
    }
    out
}

/// A positive whole number: groups of eight digits joined by 亿.
fn integer(n: u64) -> String {
    const YI: u64 = 100_000_000;
    if n < YI {
        return below_yi(n);
    }
    let (high, low) = (n / YI, n % YI);
    let mut out = integer(high);
    out.push('亿');
    if low > 0 {
        if low < YI / 10 {
            out.push('零');
        }
        out.push_str(&below_yi(low));
    }
    out
}

/// `1 ≤ n < 10^8`: groups of four digits joined by 万.
fn below_yi(n: u64) -> String {
    let (high, low) = (n / 10_000, n % 10_000);
    if high == 0 {
        return group(low);
    }
    let mut out = group(high);
    out.push('万');
    if low > 0 {
        if low < 1_000 {
            out.push('零');
        }
        out.push_str(&group(low));
    }
    out
}

/// `1 ≤ n < 10^4`, zeros inside as one 零, zeros at the end dropped.
fn group(n: u64) -> String {
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let mut out = String::new();
    let mut zero = false;
    for (place, &d) in digits.iter().enumerate() {
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        out.push(DIGITS[d as usize]);
        out.push_str(PLACES[place]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_briefs_examples() {
        assert_eq!(in_words(10490), "壹佰零肆圆玖角");
        assert_eq!(in_words(100_000), "壹仟圆整");
        // The brief wrote `拾万零壹拾圆零伍分`; the bill rules want the 壹 in front of 拾.
        assert_eq!(in_words(10_001_005), "壹拾万零壹拾圆零伍分");
    }

    #[test]
    fn fractions_of_a_yuan() {
        assert_eq!(in_words(0), "零圆整");
        assert_eq!(in_words(5), "伍分");
        assert_eq!(in_words(50), "伍角");
        assert_eq!(in_words(55), "伍角伍分");
        assert_eq!(in_words(105), "壹圆零伍分");
        assert_eq!(in_words(110), "壹圆壹角");
        assert_eq!(in_words(111), "壹圆壹角壹分");
        assert_eq!(in_words(-10490), "负壹佰零肆圆玖角");
    }

    #[test]
    fn tens_hundreds_and_zeros_inside() {
        assert_eq!(in_words(1_000), "壹拾圆整");
        assert_eq!(in_words(1_500), "壹拾伍圆整");
        assert_eq!(in_words(11_000), "壹佰壹拾圆整");
        assert_eq!(in_words(101_000), "壹仟零壹拾圆整");
        assert_eq!(in_words(100_100), "壹仟零壹圆整");
        // 1680.32: the 零 for the zero 圆 place before 角 is optional; we leave it out.
        assert_eq!(in_words(168_032), "壹仟陆佰捌拾圆叁角贰分");
        assert_eq!(in_words(146_913), "壹仟肆佰陆拾玖圆壹角叁分");
    }

    #[test]
    fn wan_and_yi_groups() {
        assert_eq!(in_words(1_000_000), "壹万圆整");
        assert_eq!(in_words(1_000_500), "壹万零伍圆整");
        // A zero 万 place followed by a 仟: no 零 (壹拾万柒仟, as the rules' ¥107000.53).
        assert_eq!(in_words(10_700_053), "壹拾万柒仟圆伍角叁分");
        assert_eq!(in_words(100_000_000), "壹佰万圆整");
        assert_eq!(in_words(10_000_000_000), "壹亿圆整");
        assert_eq!(in_words(10_000_000_100), "壹亿零壹圆整");
        assert_eq!(in_words(10_000_100_000), "壹亿零壹仟圆整");
        assert_eq!(in_words(10_100_000_000), "壹亿零壹佰万圆整");
        assert_eq!(in_words(10_010_000_000), "壹亿零壹拾万圆整");
        assert_eq!(in_words(11_000_000_000), "壹亿壹仟万圆整");
        assert_eq!(
            in_words(123_456_789_012),
            "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾圆壹角贰分"
        );
        assert_eq!(in_words(100_000_000_000_000), "壹万亿圆整");
        assert_eq!(in_words(100_010_000_000_000), "壹万零壹亿圆整");
    }
}
