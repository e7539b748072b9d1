//! Reading size strings: a tokenizer, a parser for one label, and the rules that join labels
//! (`S/M`, `12W / 10.5M`, `42/44`, `UK 6 (EU 39)`) and resolve unlabelled numbers.

use serde::{Deserialize, Serialize};

use super::brand::{Brand, BrandFamily};
use super::convert;
use super::model::{Cohort, Letter, Measure, ShoeSpan, ShoeSystem, Size, SizeError, Width};
use super::value::SizeValue;

/// Where a size string comes from; it decides what an unlabelled number means.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// StockX (sales report `Sku Size`, variants): a bare number up to 20 is US of the
    /// product's cohort, men's when no cohort is given; a bare number from 30 is EU.
    StockX,
    /// A European retailer or AWIN feed: a bare number from 15 up is EU (kids' sizes included).
    EuRetailer,
}

/// What the caller knows about a size string besides its text. Everything is optional.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub struct Context {
    /// The product's brand family. Parsing uses it only to check labels that say the same
    /// thing twice (`12W / 10.5M`, `UK 6 (EU 39)`); conversion needs it.
    pub brand: Option<BrandFamily>,
    /// The product's cohort, used when the label carries none. A label's own marker
    /// (`W`, `Y`, `M`) wins over it.
    pub cohort: Option<Cohort>,
    /// Where the string comes from.
    pub source: Option<Source>,
    /// The product has no size (LEGO, books, collectibles, art toys): `N/A`, `One Size`, `OS`
    /// and an empty string read as [`Measure::NoSize`] instead of a refusal or a missing size.
    #[serde(default)]
    pub sizeless: bool,
}

impl Context {
    /// No context: unlabelled numbers up to 30 stay ambiguous.
    pub const NONE: Self = Self {
        brand: None,
        cohort: None,
        source: None,
        sizeless: false,
    };

    /// This context with the brand a product name carries (`Air Jordan`, `HOKA ONE ONE`,
    /// `LEGO`): a sized brand sets [`Context::brand`], a sizeless one [`Context::sizeless`],
    /// an unknown one changes nothing.
    pub fn with_brand_name(self, name: &str) -> Self {
        match Brand::from_name(name) {
            Some(Brand::Sized(family)) => self.with_brand(family),
            Some(Brand::Sizeless) => self.with_sizeless(),
            None => self,
        }
    }

    /// This context for a product without a size.
    pub fn with_sizeless(self) -> Self {
        Self {
            sizeless: true,
            ..self
        }
    }

    /// This context with a brand family.
    pub fn with_brand(self, brand: BrandFamily) -> Self {
        Self {
            brand: Some(brand),
            ..self
        }
    }

    /// This context with a cohort hint.
    pub fn with_cohort(self, cohort: Cohort) -> Self {
        Self {
            cohort: Some(cohort),
            ..self
        }
    }

    /// This context with a source.
    pub fn with_source(self, source: Source) -> Self {
        Self {
            source: Some(source),
            ..self
        }
    }
}

/// A number as written: twelfths, and whether `.3`/`.7` stood for a third (EU only).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Num {
    twelfths: u32,
    tenth_third: bool,
    whole_only: bool,
}

impl Num {
    fn value_in(self, system: ShoeSystem) -> Option<SizeValue> {
        if self.tenth_third && system != ShoeSystem::Eu {
            return None;
        }
        SizeValue::from_twelfths(self.twelfths).ok()
    }

    /// A whole number as inches (waist, length).
    fn inches(self) -> Option<u8> {
        if self.whole_only {
            u8::try_from(self.twelfths / 12).ok()
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'a> {
    Num(Num),
    Word(&'a str),
    Slash,
    Dash,
    Open,
    Close,
}

const MAX_TOKENS: usize = 16;

/// Tokens of one input, in a fixed array: parsing allocates nothing unless it fails.
struct Toks<'a> {
    buf: [Tok<'a>; MAX_TOKENS],
    len: usize,
}

impl<'a> Toks<'a> {
    fn push(&mut self, t: Tok<'a>) -> Result<(), &'static str> {
        let slot = self.buf.get_mut(self.len).ok_or("too many parts")?;
        *slot = t;
        self.len += 1;
        Ok(())
    }

    fn as_slice(&self) -> &[Tok<'a>] {
        &self.buf[..self.len]
    }
}

fn unicode_fraction(c: char) -> Option<u32> {
    match c {
        '¼' => Some(3),
        '⅓' => Some(4),
        '½' => Some(6),
        '⅔' => Some(8),
        '¾' => Some(9),
        _ => None,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || c == '\'' || c == '’'
}

/// Splits `s` into `toks` (owned by the caller, so the array is never moved).
fn tokenize<'a>(s: &'a str, toks: &mut Toks<'a>) -> Result<(), &'static str> {
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        match c {
            c if c.is_whitespace() => rest = after,
            '0'..='9' => {
                let (tok, tail) = number(rest)?;
                toks.push(tok)?;
                rest = tail;
            }
            '/' => {
                toks.push(Tok::Slash)?;
                rest = after;
            }
            '-' | '‐' | '‑' | '–' | '—' => {
                toks.push(Tok::Dash)?;
                rest = after;
            }
            '(' => {
                toks.push(Tok::Open)?;
                rest = after;
            }
            ')' => {
                toks.push(Tok::Close)?;
                rest = after;
            }
            '.' if matches!(toks.as_slice().last(), Some(Tok::Word(_))) => rest = after,
            c if is_word_char(c) => {
                let end = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
                toks.push(Tok::Word(&rest[..end]))?;
                rest = &rest[end..];
            }
            _ => return Err("unexpected character"),
        }
    }
    Ok(())
}

/// Lexes a number at the start of `s`: `10`, `10.5`, `42,5`, `44⅔`, `44 2/3`, `44.67`; also the
/// words `2XL`/`3XL`.
fn number(s: &str) -> Result<(Tok<'_>, &str), &'static str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 4 {
        return Err("number too long");
    }
    let (int_text, mut rest) = s.split_at(digits);
    // `2XL`, `3XL`: a letter size that starts with a digit.
    if let Some(tail) = rest.get(..2) {
        if tail.eq_ignore_ascii_case("xl") && !rest[2..].starts_with(is_word_char) {
            return Ok((Tok::Word(&s[..digits + 2]), &rest[2..]));
        }
    }
    let whole: u32 = int_text.parse().map_err(|_| "number too long")?;
    let mut num = Num {
        twelfths: whole * 12,
        tenth_third: false,
        whole_only: true,
    };
    let bytes = rest.as_bytes();
    if matches!(bytes.first(), Some(b'.' | b',')) && bytes.get(1).is_some_and(u8::is_ascii_digit) {
        let dec_len = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        let decimals = &rest[1..=dec_len];
        let frac = match decimals {
            "0" | "00" | "000" => 0,
            "25" | "250" => 3,
            "33" | "333" => 4,
            "5" | "50" | "500" => 6,
            "66" | "67" | "666" | "667" => 8,
            "75" | "750" => 9,
            "3" | "7" => {
                num.tenth_third = true;
                if decimals == "3" {
                    4
                } else {
                    8
                }
            }
            _ => return Err("decimals are not a size step (.5, .25, .75, .33, .67)"),
        };
        num.twelfths += frac;
        num.whole_only = false;
        rest = &rest[1 + dec_len..];
        return Ok((Tok::Num(num), rest));
    }
    // A fraction after the whole part: `44⅔`, `44 ⅔`, `44 2/3`.
    let spaced = rest.trim_start();
    if let Some(frac) = spaced.chars().next().and_then(unicode_fraction) {
        num.twelfths += frac;
        num.whole_only = false;
        return Ok((Tok::Num(num), &spaced[frac_len(spaced)..]));
    }
    if spaced.len() < rest.len() {
        let b = spaced.as_bytes();
        if let (Some(&n), Some(b'/'), Some(&d)) = (b.first(), b.get(1), b.get(2)) {
            let ends = !b.get(3).is_some_and(u8::is_ascii_digit);
            if n.is_ascii_digit() && matches!(d, b'2'..=b'4') && n > b'0' && n < d && ends {
                num.twelfths += u32::from(n - b'0') * 12 / u32::from(d - b'0');
                num.whole_only = false;
                return Ok((Tok::Num(num), &spaced[3..]));
            }
        }
    }
    Ok((Tok::Num(num), rest))
}

fn frac_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

/// What a word in a label means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    System(ShoeSystem),
    Cohort(Cohort),
    /// `Gr.` (German "Größe"): the string comes from a European retailer.
    Gr,
    /// `Size`: says nothing.
    Noise,
    One,
    OneSize,
    /// `no` as in `No Size`.
    No,
    NoSize,
    Width(Width),
    Letter(Letter),
    /// A single letter whose meaning depends on a number beside it.
    Single(u8),
    Unknown,
}

fn classify(w: &str) -> Word {
    let mut buf = [0u8; 8];
    let Some(lower) = lowercase_ascii(w, &mut buf) else {
        // The only non-ASCII words known: German "Größe".
        let lower = w.to_lowercase();
        return if lower == "größe" || lower == "grösse" {
            Word::Gr
        } else {
            Word::Unknown
        };
    };
    match lower {
        [b] => Word::Single(*b),
        b"us" => Word::System(ShoeSystem::Us),
        b"uk" => Word::System(ShoeSystem::Uk),
        b"eu" | b"eur" => Word::System(ShoeSystem::Eu),
        b"cm" => Word::System(ShoeSystem::Cm),
        b"jp" => Word::System(ShoeSystem::Jp),
        b"kr" => Word::System(ShoeSystem::Kr),
        b"men" | b"mens" | b"men's" | b"herren" => Word::Cohort(Cohort::Men),
        b"women" | b"womens" | b"women's" | b"wmns" | b"damen" => Word::Cohort(Cohort::Women),
        b"gs" => Word::Cohort(Cohort::GradeSchool),
        b"ps" => Word::Cohort(Cohort::PreSchool),
        b"td" => Word::Cohort(Cohort::Toddler),
        b"gr" | b"groesse" => Word::Gr,
        b"size" => Word::Noise,
        b"one" => Word::One,
        b"os" | b"onesize" => Word::OneSize,
        b"no" => Word::No,
        b"nosize" => Word::NoSize,
        b"narrow" | b"schmal" => Word::Width(Width::Narrow),
        b"regular" | b"normal" => Word::Width(Width::Regular),
        _ => Letter::from_word(w).map_or(Word::Unknown, Word::Letter),
    }
}

/// `w` in ASCII lower case, with `’` read as `'`; `None` for other non-ASCII or long words.
fn lowercase_ascii<'b>(w: &str, buf: &'b mut [u8; 8]) -> Option<&'b [u8]> {
    let mut n = 0;
    for c in w.chars() {
        let b = match c {
            '’' => b'\'',
            c if c.is_ascii() => (c as u8).to_ascii_lowercase(),
            _ => return None,
        };
        *buf.get_mut(n)? = b;
        n += 1;
    }
    buf.get(..n)
}

/// `C` (child) or `Y`/`J` (youth, junior) after a US number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kid {
    C,
    Y,
}

impl Kid {
    fn cohort(self, v: u32) -> Cohort {
        match self {
            Self::C if v <= 120 => Cohort::Toddler,
            Self::C => Cohort::PreSchool,
            Self::Y if v <= 36 => Cohort::PreSchool,
            Self::Y => Cohort::GradeSchool,
        }
    }
}

/// One numeric shoe label, before its system is decided.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ShoeLabel {
    system: Option<ShoeSystem>,
    cohort: Option<Cohort>,
    kid: Option<Kid>,
    low: Num,
    high: Option<Num>,
    eu_hint: bool,
    width: Option<Width>,
}

impl ShoeLabel {
    /// True for a number with no label at all (`44` in `42/44`).
    fn is_bare(&self) -> bool {
        self.system.is_none()
            && self.cohort.is_none()
            && self.kid.is_none()
            && !self.eu_hint
            && self.width.is_none()
    }
}

/// One label between slashes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Shoe(ShoeLabel),
    Letter(Option<Cohort>, Letter),
    OneSize(Option<Cohort>),
    NoSize,
    Waist {
        cohort: Option<Cohort>,
        waist: Option<u8>,
        length: Option<u8>,
    },
}

fn set<T: PartialEq>(slot: &mut Option<T>, v: T) -> Result<(), &'static str> {
    match slot {
        Some(old) if *old != v => Err("conflicting markers"),
        _ => {
            *slot = Some(v);
            Ok(())
        }
    }
}

fn parse_part(toks: &[Tok<'_>]) -> Result<Part, &'static str> {
    if toks.is_empty() {
        return Err("empty label");
    }
    if !toks.iter().any(|t| matches!(t, Tok::Num(_))) {
        return parse_words(toks);
    }
    if let Some(part) = parse_waist(toks)? {
        return Ok(part);
    }
    parse_shoe(toks).map(Part::Shoe)
}

/// Labels without numbers: letters and one size.
fn parse_words(toks: &[Tok<'_>]) -> Result<Part, &'static str> {
    let (mut cohort, mut letter) = (None, None);
    let (mut one, mut size, mut one_size) = (false, false, false);
    let (mut no, mut no_size) = (false, false);
    for t in toks {
        let Tok::Word(w) = *t else {
            if *t == Tok::Dash {
                continue;
            }
            return Err("unexpected symbol");
        };
        match classify(w) {
            Word::Cohort(c) => set(&mut cohort, c)?,
            Word::Letter(l) => set(&mut letter, l)?,
            Word::Single(_) => set(&mut letter, Letter::from_word(w).ok_or("unknown word")?)?,
            Word::One => one = true,
            Word::Noise => size = true,
            Word::OneSize => one_size = true,
            Word::No => no = true,
            Word::NoSize => no_size = true,
            _ => return Err("unknown word"),
        }
    }
    if (no_size || (no && size)) && !one && !one_size && letter.is_none() && cohort.is_none() {
        return Ok(Part::NoSize);
    }
    if no || no_size {
        return Err("not a size");
    }
    match (letter, one_size || (one && size)) {
        (Some(l), false) if !one => Ok(Part::Letter(cohort, l)),
        (None, true) => Ok(Part::OneSize(cohort)),
        _ => Err("not a size"),
    }
}

/// Waist/length labels: `34W`, `W33`, `32L`, `W33 L32`, `34W 32L`.
fn parse_waist(toks: &[Tok<'_>]) -> Result<Option<Part>, &'static str> {
    let mut cohort = None;
    let mut rest = [Tok::Slash; 4];
    let mut n = 0;
    for t in toks {
        if let Tok::Word(w) = *t {
            if let Word::Cohort(c) = classify(w) {
                set(&mut cohort, c)?;
                continue;
            }
        }
        match rest.get_mut(n) {
            Some(slot) => *slot = *t,
            None => return Ok(None),
        }
        n += 1;
    }
    let letter = |t: Tok<'_>| match t {
        Tok::Word(w) if w.eq_ignore_ascii_case("w") => Some(b'w'),
        Tok::Word(w) if w.eq_ignore_ascii_case("l") => Some(b'l'),
        _ => None,
    };
    let inches = |t: Tok<'_>| match t {
        Tok::Num(num) => num.inches(),
        _ => None,
    };
    // Pairs of (letter, inches), the letter before or after its number.
    let pair = |a: Tok<'_>, b: Tok<'_>| {
        letter(a)
            .zip(inches(b))
            .or_else(|| letter(b).zip(inches(a)))
    };
    let pairs = match n {
        2 => [pair(rest[0], rest[1]), None],
        4 => {
            let first = pair(rest[0], rest[1]);
            let second = pair(rest[2], rest[3]);
            if first.is_none() || second.is_none() {
                return Ok(None);
            }
            [first, second]
        }
        _ => return Ok(None),
    };
    let (mut waist, mut length) = (None, None);
    for (l, inches) in pairs.into_iter().flatten() {
        match l {
            b'w' if inches >= 22 => set(&mut waist, inches)?,
            b'l' if inches >= 20 => set(&mut length, inches)?,
            // `W 8`, `W 10.5`: a women's shoe size, not a waist.
            _ => return Ok(None),
        }
    }
    if waist.is_none() && length.is_none() {
        return Ok(None);
    }
    Ok(Some(Part::Waist {
        cohort,
        waist,
        length,
    }))
}

/// Shoe labels: `[system] [cohort] number [suffix] [- number [suffix]] [system]`, with the
/// markers in any order but never twice with different meanings.
fn parse_shoe(toks: &[Tok<'_>]) -> Result<ShoeLabel, &'static str> {
    let mut system = None;
    let mut cohort = None;
    let mut kid = None;
    let mut eu_hint = false;
    let mut width = None;
    let mut low: Option<Num> = None;
    let mut high: Option<Num> = None;
    let mut dash = false;
    let mut prev_num = false;
    for t in toks {
        let was_num = std::mem::replace(&mut prev_num, false);
        match *t {
            Tok::Num(num) => {
                match (low, dash, high) {
                    (None, false, _) => low = Some(num),
                    (Some(_), true, None) => high = Some(num),
                    _ => return Err("too many numbers"),
                }
                prev_num = true;
            }
            Tok::Dash => match (low, dash) {
                (None, false) => {} // a leading bullet: `– Gr. 42/43`
                (Some(_), false) => dash = true,
                _ => return Err("misplaced dash"),
            },
            Tok::Word(w) => match classify(w) {
                Word::System(s) => set(&mut system, s)?,
                Word::Cohort(c) => set(&mut cohort, c)?,
                Word::Gr => eu_hint = true,
                Word::Noise => {}
                Word::Single(b'm') => set(&mut cohort, Cohort::Men)?,
                Word::Single(b'w') => set(&mut cohort, Cohort::Women)?,
                Word::Single(b'y' | b'j') if was_num => set(&mut kid, Kid::Y)?,
                Word::Single(b'c') if was_num => set(&mut kid, Kid::C)?,
                // Crocs and some retailers put the marker first: `C10`, `J2`.
                Word::Single(b'y' | b'j') if low.is_none() => set(&mut kid, Kid::Y)?,
                Word::Single(b'c') if low.is_none() => set(&mut kid, Kid::C)?,
                Word::Width(w) => set(&mut width, w)?,
                Word::Single(b'n') if was_num => set(&mut width, Width::Narrow)?,
                Word::Single(b'r') if was_num => set(&mut width, Width::Regular)?,
                Word::Single(b'h') if was_num => {
                    // ASICS `9H`: nine and a half.
                    let last = if dash { &mut high } else { &mut low };
                    match last {
                        Some(num) if num.whole_only => {
                            num.twelfths += 6;
                            num.whole_only = false;
                        }
                        _ => return Err("H follows a whole number"),
                    }
                }
                _ => return Err("unknown word"),
            },
            Tok::Slash | Tok::Open | Tok::Close => return Err("unexpected symbol"),
        }
    }
    let low = low.ok_or("no number")?;
    if dash && high.is_none() {
        return Err("span without an end");
    }
    Ok(ShoeLabel {
        system,
        cohort,
        kid,
        low,
        high,
        eu_hint,
        width,
    })
}

/// Up to three readings of a label: (system, cohort).
type Readings = ([(ShoeSystem, Cohort); 3], usize);

/// Which systems and cohorts a shoe label can be read in, by the rules in the module doc.
fn readings(label: &ShoeLabel, ctx: &Context) -> Result<Readings, &'static str> {
    let one = |s, c| Ok(([(s, c); 3], 1));
    let hint = ctx.cohort.unwrap_or(Cohort::Unisex);
    if let Some(kid) = label.kid {
        if label.system.is_some_and(|s| s != ShoeSystem::Us) {
            return Err("C and Y sizes are US sizes");
        }
        let cohort = kid.cohort(label.low.twelfths);
        if label.cohort.is_some_and(|c| c != cohort) {
            return Err("conflicting markers");
        }
        return one(ShoeSystem::Us, cohort);
    }
    if let Some(system) = label.system {
        return one(system, label.cohort.unwrap_or(hint));
    }
    if let Some(cohort) = label.cohort {
        return one(ShoeSystem::Us, cohort);
    }
    let v = label.low.twelfths;
    let eu_feed = ctx.source == Some(Source::EuRetailer) || label.eu_hint;
    if eu_feed && v >= 15 * 12 {
        return one(ShoeSystem::Eu, hint);
    }
    if ctx.source == Some(Source::StockX) && v <= 20 * 12 {
        return one(ShoeSystem::Us, ctx.cohort.unwrap_or(Cohort::Men));
    }
    if v >= 30 * 12 {
        return one(ShoeSystem::Eu, hint);
    }
    if v <= 20 * 12 {
        let eu = v >= 15 * 12;
        return Ok((
            [
                (ShoeSystem::Us, hint),
                (ShoeSystem::Uk, hint),
                (ShoeSystem::Eu, hint),
            ],
            if eu { 3 } else { 2 },
        ));
    }
    Ok((
        [
            (ShoeSystem::Eu, hint),
            (ShoeSystem::Cm, hint),
            (ShoeSystem::Cm, hint),
        ],
        2,
    ))
}

/// Every valid size a shoe label reads as, wrapped by `wrap` (for letters with a fitting span).
fn shoe_sizes(
    label: &ShoeLabel,
    ctx: &Context,
    wrap: impl Fn(Size) -> Result<Size, SizeError>,
) -> Result<Found, &'static str> {
    let (readings, n) = readings(label, ctx)?;
    let mut found = Found::default();
    let mut why = "value outside the system's steps or range";
    for &(system, cohort) in &readings[..n] {
        let (Some(low), high) = (
            label.low.value_in(system),
            label.high.map(|h| h.value_in(system)),
        ) else {
            continue;
        };
        let measure = match high {
            None => Measure::Shoe { system, value: low },
            Some(Some(high)) => Measure::ShoeRange { system, low, high },
            Some(None) => continue,
        };
        if label.width.is_some() && !(system == ShoeSystem::Eu && high.is_none()) {
            why = "a width (narrow, regular) goes with a single EU size";
            continue;
        }
        let sized = Size::new(cohort, measure).map(|s| s.with_width(label.width));
        match sized.and_then(&wrap) {
            Ok(size) => found.push(size),
            Err(SizeError::Invalid { reason }) => why = reason,
            Err(_) => {}
        }
    }
    if found.len == 0 {
        return Err(why);
    }
    Ok(found)
}

/// Readings found for an input (at most three).
#[derive(Default)]
struct Found {
    sizes: [Option<Size>; 3],
    len: usize,
}

impl Found {
    fn push(&mut self, s: Size) {
        if let Some(slot) = self.sizes.get_mut(self.len) {
            *slot = Some(s);
            self.len += 1;
        }
    }

    fn one(s: Size) -> Self {
        let mut f = Self::default();
        f.push(s);
        f
    }
}

/// Parses a size string. See the module documentation for the rules.
pub fn parse(input: &str, ctx: &Context) -> Result<Size, SizeError> {
    let trimmed = input.trim();
    let unparsable = |reason| SizeError::Unparsable {
        input: input.to_owned(),
        reason,
    };
    if ctx.sizeless && is_sizeless_word(trimmed) {
        return Size::new(Cohort::Unisex, Measure::NoSize).map_err(|_| unparsable("not a size"));
    }
    let found = match trimmed.as_bytes().first() {
        // The most common input, a plain number (`10.5`, `42`, `44⅔`), skips the token array.
        Some(b'0'..=b'9') => match number(trimmed) {
            Ok((Tok::Num(low), "")) => Some(shoe_sizes(&bare(low), ctx, Ok)),
            _ => None,
        },
        None | Some(b'n' | b'N' | b'-' | 0xE2) if is_missing(trimmed) => {
            return Err(SizeError::Missing {
                input: input.to_owned(),
            })
        }
        Some(b'o' | b'O') if trimmed.eq_ignore_ascii_case("o/s") => {
            let one = Size::new(ctx.cohort.unwrap_or(Cohort::Unisex), Measure::OneSize);
            return one.map_err(|_| unparsable("not a size"));
        }
        _ => None,
    };
    let found = match found {
        Some(found) => found,
        None => {
            let mut toks = Toks {
                buf: [Tok::Slash; MAX_TOKENS],
                len: 0,
            };
            tokenize(trimmed, &mut toks).map_err(unparsable)?;
            parse_tokens(toks.as_slice(), ctx)
        }
    }
    .map_err(unparsable)?;
    match found.sizes {
        [Some(one), None, None] => Ok(one),
        sizes => Err(SizeError::Ambiguous {
            input: input.to_owned(),
            candidates: sizes.into_iter().flatten().collect(),
        }),
    }
}

/// Empty, `N/A` and the like: no size given.
fn is_missing(trimmed: &str) -> bool {
    ["", "n/a", "na", "n.a.", "-", "–", "—", "none", "null"]
        .iter()
        .any(|m| trimmed.eq_ignore_ascii_case(m))
}

/// What a sizeless product's size column says: nothing, `N/A`, `One Size`, `OS`, `No Size`.
fn is_sizeless_word(trimmed: &str) -> bool {
    is_missing(trimmed)
        || [
            "o/s", "os", "one size", "onesize", "one-size", "no size", "nosize", "size",
        ]
        .iter()
        .any(|m| trimmed.eq_ignore_ascii_case(m))
}

/// A number with no label at all.
fn bare(low: Num) -> ShoeLabel {
    ShoeLabel {
        system: None,
        cohort: None,
        kid: None,
        low,
        high: None,
        eu_hint: false,
        width: None,
    }
}

fn parse_tokens(toks: &[Tok<'_>], ctx: &Context) -> Result<Found, &'static str> {
    if let Some(open) = toks.iter().position(|t| *t == Tok::Open) {
        return parse_parenthesised(toks, open, ctx);
    }
    let (first, second) = match unslashed_dual(toks) {
        Some((a, b)) => (parse_part(a)?, Some(parse_part(b)?)),
        None => {
            let mut parts = toks.split(|t| *t == Tok::Slash);
            let first = parts.next().map(parse_part).ok_or("empty")??;
            let second = parts.next().map(parse_part).transpose()?;
            if parts.next().is_some() {
                return Err("too many parts");
            }
            (first, second)
        }
    };
    let cohort_of = |c: Option<Cohort>| c.or(ctx.cohort).unwrap_or(Cohort::Unisex);
    let new = |cohort, measure| Size::new(cohort, measure).map_err(|e| invalid_reason(&e));
    match (first, second) {
        (Part::Shoe(label), None) => shoe_sizes(&label, ctx, Ok),
        (Part::Letter(c, l), None) => Ok(Found::one(new(
            cohort_of(c),
            Measure::Letter {
                low: l,
                high: l,
                fits: None,
            },
        )?)),
        (Part::OneSize(c), None) => Ok(Found::one(new(cohort_of(c), Measure::OneSize)?)),
        (Part::NoSize, None) => Ok(Found::one(new(Cohort::Unisex, Measure::NoSize)?)),
        (
            Part::Waist {
                cohort,
                waist: Some(waist),
                length,
            },
            None,
        ) => Ok(Found::one(new(
            cohort_of(cohort),
            Measure::WaistLength { waist, length },
        )?)),
        (Part::Letter(c1, low), Some(Part::Letter(c2, high))) => {
            let cohort = merge(c1, c2)?;
            Ok(Found::one(new(
                cohort_of(cohort),
                Measure::Letter {
                    low,
                    high,
                    fits: None,
                },
            )?))
        }
        (Part::Letter(c, letter), Some(Part::Shoe(span))) if span.high.is_some() => {
            // `S / Men's 9-10`: the letter's cohort is the span's.
            let span = ShoeLabel {
                cohort: merge(c, span.cohort)?,
                ..span
            };
            shoe_sizes(&span, ctx, |s| letter_fitting(letter, s))
        }
        (
            Part::Waist {
                cohort: c1,
                waist: w1,
                length: l1,
            },
            Some(Part::Waist {
                cohort: c2,
                waist: w2,
                length: l2,
            }),
        ) => {
            let (waist, length) = match (w1, l1, w2, l2) {
                (Some(w), None, None, Some(l)) | (None, Some(l), Some(w), None) => (w, l),
                _ => return Err("expected a waist and a length"),
            };
            Ok(Found::one(new(
                cohort_of(merge(c1, c2)?),
                Measure::WaistLength {
                    waist,
                    length: Some(length),
                },
            )?))
        }
        (Part::Shoe(a), Some(Part::Shoe(b))) => two_shoe_labels(a, b, ctx),
        _ => Err("labels that do not go together"),
    }
}

/// `M4 W6`, `M 9 W 11` (Crocs boxes): two US labels with no slash between them, split where
/// the second one's `M` or `W` starts.
fn unslashed_dual<'t, 'a>(toks: &'t [Tok<'a>]) -> Option<(&'t [Tok<'a>], &'t [Tok<'a>])> {
    if toks.iter().any(|t| matches!(t, Tok::Slash | Tok::Dash)) {
        return None;
    }
    let gender = |t: &Tok<'_>| match t {
        Tok::Word(w) => matches!(classify(w), Word::Single(b'm' | b'w')),
        _ => false,
    };
    let numbers = toks.iter().filter(|t| matches!(t, Tok::Num(_))).count();
    let first = toks.first()?;
    if numbers != 2 || !gender(first) {
        return None;
    }
    let split = toks.iter().skip(1).position(gender)? + 1;
    let (a, b) = toks.split_at(split);
    a.iter().any(|t| matches!(t, Tok::Num(_))).then_some((a, b))
}

fn invalid_reason(e: &SizeError) -> &'static str {
    match e {
        SizeError::Invalid { reason } | SizeError::Unparsable { reason, .. } => reason,
        _ => "not a size",
    }
}

fn merge(a: Option<Cohort>, b: Option<Cohort>) -> Result<Option<Cohort>, &'static str> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Err("conflicting markers"),
        _ => Ok(a.or(b)),
    }
}

fn letter_fitting(letter: Letter, span: Size) -> Result<Size, SizeError> {
    let Measure::ShoeRange { system, low, high } = span.measure() else {
        return Err(SizeError::Invalid {
            reason: "a letter size fits a span of shoe sizes",
        });
    };
    Size::new(
        span.cohort(),
        Measure::Letter {
            low: letter,
            high: letter,
            fits: Some(ShoeSpan { system, low, high }),
        },
    )
}

/// `12W / 10.5M` (dual US label) or `42/44`, `EU 42/43` (a span).
fn two_shoe_labels(a: ShoeLabel, b: ShoeLabel, ctx: &Context) -> Result<Found, &'static str> {
    if a.high.is_some() || b.high.is_some() {
        return Err("labels that do not go together");
    }
    let us_adult = |l: &ShoeLabel| {
        l.kid.is_none()
            && l.system.is_none_or(|s| s == ShoeSystem::Us)
            && matches!(l.cohort, Some(Cohort::Men | Cohort::Women))
    };
    if us_adult(&a) && us_adult(&b) && a.cohort != b.cohort {
        let (w, m) = if a.cohort == Some(Cohort::Women) {
            (a.low, b.low)
        } else {
            (b.low, a.low)
        };
        let (Some(women), Some(men)) = (w.value_in(ShoeSystem::Us), m.value_in(ShoeSystem::Us))
        else {
            return Err("value outside the system's steps or range");
        };
        let size = Size::new(Cohort::Unisex, Measure::UsDual { women, men })
            .map_err(|e| invalid_reason(&e))?;
        if let Some(brand) = ctx.brand {
            if matches!(
                convert::check_dual(women, men, brand),
                Err(convert::ConvertError::Inconsistent { .. })
            ) {
                return Err("the women's and men's numbers disagree on the brand's chart");
            }
        }
        return Ok(Found::one(size));
    }
    if !(b.is_bare() || (b.system == a.system && b.cohort == a.cohort && b.kid == a.kid)) {
        return Err("labels that do not go together");
    }
    let span = ShoeLabel {
        high: Some(b.low),
        ..a
    };
    shoe_sizes(&span, ctx, Ok)
}

/// `UK 6 (EU 39)`, `CM 24 (US M 5.5)`: StockX adds the label in brackets to tell apart sizes
/// that share the first one; the bracketed label is the size. `8 (W)` marks the cohort.
fn parse_parenthesised(
    toks: &[Tok<'_>],
    open: usize,
    ctx: &Context,
) -> Result<Found, &'static str> {
    let (main, inner) = (&toks[..open], &toks[open + 1..]);
    let Some((Tok::Close, inner)) = inner.split_last() else {
        return Err("unbalanced brackets");
    };
    if inner.iter().any(|t| matches!(t, Tok::Open | Tok::Close)) || main.is_empty() {
        return Err("unbalanced brackets");
    }
    if let [Tok::Word(w)] = inner {
        if matches!(
            classify(w),
            Word::Cohort(_) | Word::Single(b'w' | b'm') | Word::Width(_)
        ) {
            // Move the marker into the label: `8 (W)` reads as `8 W`, `42 (Narrow)` as
            // `42 Narrow`.
            let mut joined = [Tok::Slash; MAX_TOKENS];
            let n = main.len() + 1;
            joined
                .get_mut(..n)
                .ok_or("too many parts")?
                .iter_mut()
                .zip(main.iter().chain(inner))
                .for_each(|(slot, t)| *slot = *t);
            return parse_tokens(&joined[..n], ctx);
        }
    }
    let outer = parse_tokens(main, ctx)?;
    let found = parse_tokens(inner, ctx)?;
    if let (Some(brand), [Some(size), None, None]) = (ctx.brand, found.sizes) {
        let disagree = outer
            .sizes
            .iter()
            .flatten()
            .all(|o| convert::labels_disagree(o, &size, brand));
        if disagree {
            return Err("the two labels disagree on the brand's chart");
        }
    }
    Ok(found)
}
