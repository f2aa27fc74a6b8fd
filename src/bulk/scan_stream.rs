//! The same JSON check as [`super::scan`], byte by byte across chunks, for
//! lines too long to buffer: a resource line of hundreds of MB (a Binary, or
//! a gzip bomb that inflates to one endless line) is checked in full with
//! memory bounded by its nesting depth, not its length. Slower per byte than
//! [`super::scan`], so only lines past [`super::ndjson::LONG_LINE`] take it.

use super::scan::Bad;

/// Nesting deeper than this is refused (a bomb of `[[[[…` must not grow
/// the stack without bound).
pub const MAX_DEPTH: usize = 4096;

/// The `resourceType` value kept (a longer one is not a type anyway).
const KEEP_TYPE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Before the top-level value.
    Start,
    /// A value is expected (after `:` or `,` in an array).
    Value,
    /// Just after `[`: a value or `]`.
    ArrayFirst,
    /// Just after `{`: a key or `}`.
    ObjectFirst,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value: `,`, a closing bracket, or (at the top) the end.
    After,
    Str,
    /// After `\` in a string.
    Esc,
    /// `\u` and this many hex digits still to come.
    Hex(u8),
    /// This many UTF-8 continuation bytes still to come; the next one must
    /// be within `lo..=hi`.
    Utf8(u8, u8, u8),
    /// A number: after `-`.
    NumSign,
    /// After a leading `0`.
    NumZero,
    NumInt,
    /// After `.`.
    NumDot,
    NumFrac,
    /// After `e`/`E`.
    NumE,
    /// After the exponent's sign.
    NumESign,
    NumExp,
    /// A literal (`true`, `false`, `null`) and how much of it is read.
    Lit(&'static [u8], u8),
}

/// What the string being read is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Key,
    Value,
}

/// A streaming check of one line.
pub struct LongLine {
    st: St,
    stack: Vec<u8>,
    col: usize,
    role: Role,
    /// The key being read at the top level, while it may be `resourceType`.
    key: Vec<u8>,
    key_plain: bool,
    /// The next value is the top-level `resourceType`'s.
    want_type: bool,
    reading_type: bool,
    found: Option<Option<Vec<u8>>>,
    bad: Option<Bad>,
}

impl Default for LongLine {
    fn default() -> Self {
        LongLine::new()
    }
}

impl LongLine {
    pub fn new() -> LongLine {
        LongLine {
            st: St::Start,
            stack: Vec::new(),
            col: 0,
            role: Role::Value,
            key: Vec::new(),
            key_plain: true,
            want_type: false,
            reading_type: false,
            found: None,
            bad: None,
        }
    }

    /// Nothing but whitespace so far.
    pub fn is_blank(&self) -> bool {
        self.st == St::Start && self.bad.is_none()
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if self.bad.is_some() {
                return;
            }
            self.col += 1;
            if let Err(why) = self.byte(b) {
                self.bad = Some(Bad::At(self.col, why));
            }
        }
    }

    /// The verdict once the line ended: the `resourceType` as written
    /// (`Some(None)`: none), like [`super::scan::scan`].
    pub fn finish(mut self) -> Result<Option<Vec<u8>>, Bad> {
        if let Some(b) = self.bad {
            return Err(b);
        }
        // A number at the very end is complete.
        if matches!(self.st, St::NumZero | St::NumInt | St::NumFrac | St::NumExp) {
            self.end_value();
        }
        if self.st == St::After && self.stack.is_empty() {
            Ok(self.found.flatten())
        } else {
            Err(Bad::Eof)
        }
    }

    fn end_value(&mut self) {
        if self.want_type && self.found.is_none() {
            self.found = Some(None);
        }
        self.want_type = false;
        self.st = St::After;
    }

    fn push(&mut self, c: u8) -> Result<(), &'static str> {
        if self.stack.len() >= MAX_DEPTH {
            return Err("nested too deep");
        }
        if self.want_type && self.found.is_none() {
            self.found = Some(None);
        }
        self.want_type = false;
        self.stack.push(c);
        Ok(())
    }

    fn start_string(&mut self, role: Role) {
        self.role = role;
        self.st = St::Str;
        if role == Role::Key {
            self.key.clear();
            self.key_plain = self.stack.len() == 1;
        } else if self.want_type && self.found.is_none() {
            self.reading_type = true;
            self.found = Some(Some(Vec::new()));
        }
    }

    fn string_byte(&mut self, b: u8) {
        if self.role == Role::Key {
            if self.key_plain && self.key.len() < 16 {
                self.key.push(b);
            }
        } else if self.reading_type
            && let Some(Some(t)) = &mut self.found
            && t.len() < KEEP_TYPE
        {
            t.push(b);
        }
    }

    fn end_string(&mut self) {
        match self.role {
            Role::Key => {
                self.want_type =
                    self.key_plain && self.key == b"resourceType" && self.found.is_none();
                self.st = St::Colon;
            }
            Role::Value => {
                self.reading_type = false;
                self.want_type = false;
                self.st = St::After;
            }
        }
    }

    fn value(&mut self, b: u8) -> Result<(), &'static str> {
        match b {
            b'{' => {
                self.push(b'{')?;
                self.st = St::ObjectFirst;
            }
            b'[' => {
                self.push(b'[')?;
                self.st = St::ArrayFirst;
            }
            b'"' => self.start_string(Role::Value),
            b'-' => self.st = St::NumSign,
            b'0' => self.st = St::NumZero,
            b'1'..=b'9' => self.st = St::NumInt,
            b't' => self.st = St::Lit(b"true", 1),
            b'f' => self.st = St::Lit(b"false", 1),
            b'n' => self.st = St::Lit(b"null", 1),
            _ => return Err("expected a value"),
        }
        Ok(())
    }

    fn byte(&mut self, b: u8) -> Result<(), &'static str> {
        let ws = matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        match self.st {
            St::Start => {
                if ws {
                    return Ok(());
                }
                if b != b'{' {
                    return Err("a resource must be a JSON object");
                }
                self.push(b'{')?;
                self.st = St::ObjectFirst;
            }
            St::Value => {
                if !ws {
                    self.value(b)?;
                }
            }
            St::ArrayFirst => {
                if ws {
                } else if b == b']' {
                    self.stack.pop();
                    self.end_value();
                } else {
                    self.value(b)?;
                }
            }
            St::ObjectFirst | St::Key => {
                if ws {
                } else if b == b'}' && self.st == St::ObjectFirst {
                    self.stack.pop();
                    self.end_value();
                } else if b == b'"' {
                    self.start_string(Role::Key);
                } else {
                    return Err("expected a key");
                }
            }
            St::Colon => {
                if ws {
                } else if b == b':' {
                    self.st = St::Value;
                } else {
                    return Err("expected `:`");
                }
            }
            St::After => {
                if ws {
                    return Ok(());
                }
                match (b, self.stack.last()) {
                    (_, None) => return Err("more after the resource"),
                    (b',', Some(b'{')) => self.st = St::Key,
                    (b',', Some(_)) => self.st = St::Value,
                    (b'}', Some(b'{')) | (b']', Some(b'[')) => {
                        self.stack.pop();
                        self.end_value();
                    }
                    _ => return Err("expected `,` or the end of the object or array"),
                }
            }
            St::Str => match b {
                b'"' => self.end_string(),
                b'\\' => {
                    self.key_plain = self.key_plain && self.role != Role::Key;
                    self.string_byte(b);
                    self.st = St::Esc;
                }
                0..=0x1f => return Err("a control character in a string"),
                0x20..=0x7f => self.string_byte(b),
                _ => {
                    self.string_byte(b);
                    self.st = match b {
                        0xc2..=0xdf => St::Utf8(1, 0x80, 0xbf),
                        0xe0 => St::Utf8(2, 0xa0, 0xbf),
                        0xe1..=0xec | 0xee..=0xef => St::Utf8(2, 0x80, 0xbf),
                        0xed => St::Utf8(2, 0x80, 0x9f),
                        0xf0 => St::Utf8(3, 0x90, 0xbf),
                        0xf1..=0xf3 => St::Utf8(3, 0x80, 0xbf),
                        0xf4 => St::Utf8(3, 0x80, 0x8f),
                        _ => return Err("invalid UTF-8"),
                    };
                }
            },
            St::Utf8(left, lo, hi) => {
                if !(lo..=hi).contains(&b) {
                    return Err("invalid UTF-8");
                }
                self.string_byte(b);
                self.st = if left == 1 {
                    St::Str
                } else {
                    St::Utf8(left - 1, 0x80, 0xbf)
                };
            }
            St::Esc => {
                self.string_byte(b);
                self.st = match b {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => St::Str,
                    b'u' => St::Hex(4),
                    _ => return Err("a bad escape in a string"),
                }
            }
            St::Hex(left) => {
                if !b.is_ascii_hexdigit() {
                    return Err("a bad \\u escape in a string");
                }
                self.string_byte(b);
                self.st = if left == 1 {
                    St::Str
                } else {
                    St::Hex(left - 1)
                };
            }
            St::Lit(lit, at) => {
                if b != lit[at as usize] {
                    return Err("expected a value");
                }
                if at as usize + 1 == lit.len() {
                    self.end_value();
                } else {
                    self.st = St::Lit(lit, at + 1);
                }
            }
            St::NumSign => match b {
                b'0' => self.st = St::NumZero,
                b'1'..=b'9' => self.st = St::NumInt,
                _ => return Err("a bad number"),
            },
            St::NumZero | St::NumInt | St::NumFrac | St::NumExp => match (self.st, b) {
                (St::NumInt, b'0'..=b'9')
                | (St::NumFrac, b'0'..=b'9')
                | (St::NumExp, b'0'..=b'9') => {}
                (St::NumZero | St::NumInt, b'.') => self.st = St::NumDot,
                (St::NumZero | St::NumInt | St::NumFrac, b'e' | b'E') => self.st = St::NumE,
                (St::NumZero, b'0'..=b'9') => return Err("a bad number"),
                _ => {
                    self.end_value();
                    return self.byte(b);
                }
            },
            St::NumDot => match b {
                b'0'..=b'9' => self.st = St::NumFrac,
                _ => return Err("a bad number"),
            },
            St::NumE => match b {
                b'+' | b'-' => self.st = St::NumESign,
                b'0'..=b'9' => self.st = St::NumExp,
                _ => return Err("a bad number"),
            },
            St::NumESign => match b {
                b'0'..=b'9' => self.st = St::NumExp,
                _ => return Err("a bad number"),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::scan::{Head, scan};
    use super::*;

    /// The streaming check and the whole-line check agree, line by line
    /// and whatever the chunking.
    fn agree(line: &str) {
        let whole = scan(line.as_bytes(), &mut Vec::new());
        for cut in [1, 2, 3, 7, line.len().max(1)] {
            let mut l = LongLine::new();
            for c in line.as_bytes().chunks(cut) {
                l.feed(c);
            }
            let ours = l.finish();
            match (&whole, &ours) {
                (Ok(Head::Type(t)), Ok(Some(o))) => assert_eq!(t, &o.as_slice(), "{line}"),
                (Ok(Head::NoType), Ok(None)) => {}
                (Err(Bad::Eof), Err(Bad::Eof)) => {}
                (Err(Bad::At(..)), Err(Bad::At(..))) => {}
                _ => panic!("{line:?} (chunks of {cut}): scan {whole:?}, streaming {ours:?}"),
            }
        }
    }

    #[test]
    fn it_agrees_with_the_whole_line_scan() {
        for line in [
            r#"{"resourceType":"Patient","id":"1"}"#,
            r#"{"id":"1","resourceType":"Patient","contained":[{"resourceType":"X"}]}"#,
            r#"{"contained":[{"resourceType":"X"}],"a":{"resourceType":"Y"}}"#,
            r#"{"resourceType":1}"#,
            r#"{"resourceType":["X"]}"#,
            r#"{"resourceType":{"a":"X"}}"#,
            r#"  {}  "#,
            r#"{"resourceType":"A","resourceType":"B"}"#,
            r#"{"resourceType":"Pat\u0069ent"}"#,
            r#"{"a":[1,-2.5e+3,0,0.1,1E5,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"],"b":{}}"#,
            r#"{"a":[[],[{}],{"b":[]}]}"#,
            "{\"é\":\"ü\",\"resourceType\":\"Patient\"}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
            r#"{"a":.5}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul,"b":1}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{,"a":1}"#,
            r#"{"a" 1}"#,
            r#"{"a":1}}"#,
            r#"{"a":[1}"#,
            r#"{"a":{1:2}}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}{"b":2}"#,
            r#"{'a':1}"#,
            r#"[1]"#,
            r#"{"resourceType":"Pat"#,
            r#"{"a":[1,2"#,
            r#"{"a":12"#,
            r#"{"a":"x"#,
        ] {
            agree(line);
        }
    }

    #[test]
    fn bad_utf8_and_endless_nesting_are_refused() {
        let mut l = LongLine::new();
        l.feed(b"{\"a\":\"\xff\"}");
        assert!(matches!(l.finish(), Err(Bad::At(_, "invalid UTF-8"))));
        let mut l = LongLine::new();
        l.feed(b"{\"a\":");
        l.feed(&vec![b'['; MAX_DEPTH + 10]);
        assert!(matches!(l.finish(), Err(Bad::At(_, "nested too deep"))));
        assert!(l_stack_is_bounded());
    }

    fn l_stack_is_bounded() -> bool {
        let mut l = LongLine::new();
        l.feed(&vec![b'['; 10 * MAX_DEPTH]);
        l.stack.capacity() <= 2 * MAX_DEPTH
    }
}
