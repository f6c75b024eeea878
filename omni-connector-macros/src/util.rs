//! Small helpers shared by the parsers: doc comments, "did you mean",
//! skipping the value of a key we do not know.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Lit, Meta};

use crate::symbol::DOC;

/// The text of the `///` comments, lines trimmed and joined with `\n`;
/// `None` when there are none or they are blank.
pub fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident(DOC) {
            continue;
        }
        if let Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(expr) = &nv.value {
                if let Lit::Str(text) = &expr.lit {
                    let value = text.value();
                    for line in value.lines() {
                        lines.push(line.trim().to_owned());
                    }
                }
            }
        }
    }
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The closest candidate, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "unknown X `word`" plus a suggestion or the list of valid values.
pub fn unknown(what: &str, word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("unknown {what} `{word}`; did you mean `{c}`?"),
        None => {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            format!(
                "unknown {what} `{word}`; expected one of {}",
                list.join(", ")
            )
        }
    }
}

/// Consumes whatever follows a key (`= value`, `(..)` or nothing), so the
/// parser can go on to the next key after an error.
pub fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

/// The name of a path key, for messages.
pub fn key_name(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_else(|| {
            let path = &meta.path;
            quote::quote!(#path).to_string().replace(' ', "")
        })
}
