//! The lexer of Orrery script: source text to tokens, one at a time, with positions.
//!
//! The parser pulls tokens on demand, so the first error in source order is the one reported,
//! whether it is a bad character or a bad sequence of good tokens.

use super::{Pos, ScriptError};

/// The largest literal the lexer accepts: `i64::MAX + 1`, valid only right after a unary `-`.
pub(super) const MAX_LITERAL: u64 = 1 << 63;

/// Words that are not part of the language, refused with a message saying so.
const RESERVED: &[&str] = &[
    "const", "fn", "for", "in", "loop", "match", "mut", "return", "while",
];

/// One kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tok<'s> {
    /// An integer literal, at most [`MAX_LITERAL`].
    Int(u64),
    Name(&'s str),
    Let,
    If,
    Else,
    True,
    False,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Assign,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    Bang,
    AndAnd,
    OrOr,
    Eof,
}

/// A token with where it starts and its text (for messages).
#[derive(Clone, Copy, Debug)]
pub(super) struct Token<'s> {
    pub(super) tok: Tok<'s>,
    pub(super) at: Pos,
    pub(super) text: &'s str,
}

impl Token<'_> {
    /// How messages name the token: `` `foo` `` or `end of script`.
    pub(super) fn describe(&self) -> String {
        match self.tok {
            Tok::Eof => "end of script".to_string(),
            _ => format!("`{}`", self.text),
        }
    }
}

/// Whether `word` is a keyword or a reserved word (so not a valid name).
pub(super) fn is_keyword(word: &str) -> bool {
    keyword(word).is_some() || RESERVED.contains(&word)
}

fn keyword(word: &str) -> Option<Tok<'static>> {
    Some(match word {
        "let" => Tok::Let,
        "if" => Tok::If,
        "else" => Tok::Else,
        "true" => Tok::True,
        "false" => Tok::False,
        _ => return None,
    })
}

/// Whether `name` has the shape of a name: an ASCII letter or `_`, then letters, digits, `_`.
pub(super) fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Turns source text into tokens.
pub(super) struct Lexer<'s> {
    src: &'s str,
    /// Byte offset of the next unread character.
    i: usize,
    line: u32,
    col: u32,
}

impl<'s> Lexer<'s> {
    pub(super) fn new(src: &'s str) -> Lexer<'s> {
        Lexer {
            src,
            i: 0,
            line: 1,
            col: 1,
        }
    }

    fn peek_byte(&self, ahead: usize) -> Option<u8> {
        self.src.as_bytes().get(self.i + ahead).copied()
    }

    /// Skips whitespace and comments.
    fn skip_trivia(&mut self) {
        while let Some(b) = self.peek_byte(0) {
            match b {
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.col = 1;
                }
                b' ' | b'\t' | b'\r' => {
                    self.i += 1;
                    self.col += 1;
                }
                b'/' if self.peek_byte(1) == Some(b'/') => {
                    // The rest of the line, whatever it holds; the newline is handled above.
                    let rest = &self.src[self.i..];
                    let comment = &rest[..rest.find('\n').unwrap_or(rest.len())];
                    self.i += comment.len();
                    self.col = self
                        .col
                        .saturating_add(u32::try_from(comment.chars().count()).unwrap_or(u32::MAX));
                }
                _ => return,
            }
        }
    }

    /// The next token, or the error that stops the lexer.
    pub(super) fn next_token(&mut self) -> Result<Token<'s>, ScriptError> {
        self.skip_trivia();
        let at = Pos {
            line: self.line,
            col: self.col,
        };
        let start = self.i;
        let Some(b) = self.peek_byte(0) else {
            return Ok(Token {
                tok: Tok::Eof,
                at,
                text: "",
            });
        };
        let tok = if b.is_ascii_digit() {
            self.int(at)?
        } else if b.is_ascii_alphabetic() || b == b'_' {
            self.take_while(|c| c.is_ascii_alphanumeric() || c == b'_');
            let word = &self.src[start..self.i];
            if RESERVED.contains(&word) {
                return Err(ScriptError::at(
                    at,
                    format!(
                        "`{word}` is reserved: Orrery script has no loops, functions or mutation"
                    ),
                ));
            }
            keyword(word).unwrap_or(Tok::Name(word))
        } else {
            self.punctuation(b, at)?
        };
        let text = &self.src[start..self.i];
        self.col = self
            .col
            .saturating_add(u32::try_from(self.i - start).unwrap_or(u32::MAX));
        Ok(Token { tok, at, text })
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.peek_byte(0).is_some_and(&keep) {
            self.i += 1;
        }
    }

    /// An integer literal: digits and `_`, at most [`MAX_LITERAL`], not followed by a letter.
    fn int(&mut self, at: Pos) -> Result<Tok<'s>, ScriptError> {
        let start = self.i;
        self.take_while(|c| c.is_ascii_digit() || c == b'_');
        let digits_end = self.i;
        self.take_while(|c| c.is_ascii_alphanumeric() || c == b'_');
        if self.i > digits_end {
            let suffix = &self.src[digits_end..self.i];
            return Err(ScriptError::at(
                at,
                format!("invalid suffix `{suffix}` on integer literal"),
            ));
        }
        let text = &self.src[start..self.i];
        let mut value: u64 = 0;
        for d in text.bytes().filter(|&c| c != b'_') {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .filter(|&v| v <= MAX_LITERAL)
                .ok_or_else(|| {
                    ScriptError::at(
                        at,
                        format!("integer literal `{text}` does not fit in 64 bits"),
                    )
                })?;
        }
        Ok(Tok::Int(value))
    }

    fn punctuation(&mut self, b: u8, at: Pos) -> Result<Tok<'s>, ScriptError> {
        let next = self.peek_byte(1);
        let (tok, len) = match (b, next) {
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'!', Some(b'=')) => (Tok::Ne, 2),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'&', Some(b'&')) => (Tok::AndAnd, 2),
            (b'|', Some(b'|')) => (Tok::OrOr, 2),
            (b'=', _) => (Tok::Assign, 1),
            (b'!', _) => (Tok::Bang, 1),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'{', _) => (Tok::LBrace, 1),
            (b'}', _) => (Tok::RBrace, 1),
            (b',', _) => (Tok::Comma, 1),
            (b';', _) => (Tok::Semi, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            (b'&', _) => return Err(ScriptError::at(at, "unexpected `&`; use `&&` for \"and\"")),
            (b'|', _) => return Err(ScriptError::at(at, "unexpected `|`; use `||` for \"or\"")),
            _ => {
                let c = self.src[self.i..].chars().next().unwrap_or('\u{fffd}');
                return Err(ScriptError::at(
                    at,
                    format!("unexpected character `{}`", c.escape_debug()),
                ));
            }
        };
        self.i += len;
        Ok(tok)
    }
}
