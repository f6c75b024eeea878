//! Parsing of the attributes: `#[connector(..)]`, and inside its impl block
//! `#[action(..)]`, `#[param(..)]`, `#[params]` and `#[sync]`.
//!
//! Parsing records what was written; it reports unknown and duplicate keys
//! (which are about the attribute's syntax) and leaves the meaning of values
//! to `valid.rs`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitBool, LitStr, Meta, Path, Token};

use crate::ctxt::Ctxt;
use crate::symbol::*;
use crate::util::{key_name, skip_value, unknown};

/// One key's value, remembering the key token for "duplicate" errors.
pub struct Attr<T> {
    name: &'static str,
    value: Option<(Path, T)>,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Self {
        Self { name, value: None }
    }

    fn set(&mut self, cx: &Ctxt, key: &Path, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(key, format!("duplicate `{}`", self.name));
        } else {
            self.value = Some((key.clone(), value));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    /// The key token, for errors about the whole entry.
    pub fn key(&self) -> Option<&Path> {
        self.value.as_ref().map(|(k, _)| k)
    }
}

/// A word given as an identifier (`full`) or a string (`"full"`).
#[derive(Clone)]
pub struct Word {
    pub value: String,
    pub span: Span,
}

impl Word {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            Ok(Self {
                value: lit.value(),
                span: lit.span(),
            })
        } else {
            let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            Ok(Self {
                value: ident.to_string(),
                span: ident.span(),
            })
        }
    }
}

/// `("from", "author", person)`.
pub struct SearchOp {
    pub operator: LitStr,
    pub attribute_key: LitStr,
    pub value_type: Option<Word>,
}

impl syn::parse::Parse for SearchOp {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let operator = content.parse()?;
        content.parse::<Token![,]>()?;
        let attribute_key = content.parse()?;
        let value_type = if content.parse::<Option<Token![,]>>()?.is_some() && !content.is_empty() {
            Some(content.call(Word::parse)?)
        } else {
            None
        };
        content.parse::<Option<Token![,]>>()?;
        if !content.is_empty() {
            return Err(content.error(
                "expected `(\"operator\", \"attribute_key\")` or `(\"operator\", \"attribute_key\", person)`",
            ));
        }
        Ok(Self {
            operator,
            attribute_key,
            value_type,
        })
    }
}

fn lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// `key` alone means true; `key = true|false` also works.
fn flag(meta: &ParseNestedMeta) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) {
        let lit: LitBool = meta.value()?.parse()?;
        Ok(lit.value)
    } else {
        Ok(true)
    }
}

fn words(meta: &ParseNestedMeta) -> syn::Result<Vec<Word>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let list = Punctuated::<Word, Token![,]>::parse_terminated_with(&content, Word::parse)?;
    Ok(list.into_iter().collect())
}

fn strings(meta: &ParseNestedMeta) -> syn::Result<Vec<LitStr>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

/// `key = some::path` or `key = "some::path"`.
fn path(meta: &ParseNestedMeta) -> syn::Result<Path> {
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        lit.parse()
    } else {
        value.parse()
    }
}

/// `#[connector(..)]`.
pub struct ConnectorAttrs {
    pub name: Attr<LitStr>,
    pub version: Attr<LitStr>,
    pub display_name: Attr<LitStr>,
    pub description: Attr<LitStr>,
    pub sync_modes: Attr<Vec<Word>>,
    pub source_types: Attr<Vec<Word>>,
    pub search_operators: Attr<Vec<SearchOp>>,
    pub read_only: Attr<bool>,
    pub extra_schema: Attr<Path>,
    pub attributes_schema: Attr<Path>,
    pub krate: Attr<Path>,
}

impl ConnectorAttrs {
    pub fn new() -> Self {
        Self {
            name: Attr::none(NAME),
            version: Attr::none(VERSION),
            display_name: Attr::none(DISPLAY_NAME),
            description: Attr::none(DESCRIPTION),
            sync_modes: Attr::none(SYNC_MODES),
            source_types: Attr::none(SOURCE_TYPES),
            search_operators: Attr::none(SEARCH_OPERATORS),
            read_only: Attr::none(READ_ONLY),
            extra_schema: Attr::none(EXTRA_SCHEMA),
            attributes_schema: Attr::none(ATTRIBUTES_SCHEMA),
            krate: Attr::none(CRATE),
        }
    }

    /// One `key ...` entry of `#[connector(..)]`; unknown keys are recorded
    /// in `cx` and skipped so the rest is still checked.
    pub fn parse_entry(&mut self, cx: &Ctxt, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = meta.path.clone();
        if key.is_ident(NAME) {
            self.name.set(cx, &key, lit_str(&meta)?);
        } else if key.is_ident(VERSION) {
            self.version.set(cx, &key, lit_str(&meta)?);
        } else if key.is_ident(DISPLAY_NAME) {
            self.display_name.set(cx, &key, lit_str(&meta)?);
        } else if key.is_ident(DESCRIPTION) {
            self.description.set(cx, &key, lit_str(&meta)?);
        } else if key.is_ident(SYNC_MODES) {
            self.sync_modes.set(cx, &key, words(&meta)?);
        } else if key.is_ident(SOURCE_TYPES) {
            self.source_types.set(cx, &key, words(&meta)?);
        } else if key.is_ident(SEARCH_OPERATORS) {
            let content;
            syn::parenthesized!(content in meta.input);
            let ops = Punctuated::<SearchOp, Token![,]>::parse_terminated(&content)?;
            self.search_operators
                .set(cx, &key, ops.into_iter().collect());
        } else if key.is_ident(READ_ONLY) {
            self.read_only.set(cx, &key, flag(&meta)?);
        } else if key.is_ident(EXTRA_SCHEMA) {
            self.extra_schema.set(cx, &key, path(&meta)?);
        } else if key.is_ident(ATTRIBUTES_SCHEMA) {
            self.attributes_schema.set(cx, &key, path(&meta)?);
        } else if key.is_ident(CRATE) {
            self.krate.set(cx, &key, path(&meta)?);
        } else {
            let name = key_name(&meta);
            cx.error_spanned_by(&key, unknown("`#[connector]` key", &name, CONNECTOR_KEYS));
            skip_value(&meta)?;
        }
        Ok(())
    }
}

/// `#[action(..)]`.
pub struct ActionAttrs {
    pub name: Attr<LitStr>,
    pub description: Attr<LitStr>,
    pub mode: Attr<Word>,
    pub admin_only: Attr<bool>,
    pub hidden: Attr<bool>,
    pub source_types: Attr<Vec<Word>>,
    pub required_scopes: Attr<Vec<LitStr>>,
}

impl ActionAttrs {
    pub fn parse(cx: &Ctxt, attr: &Attribute) -> Self {
        let mut attrs = Self {
            name: Attr::none(NAME),
            description: Attr::none(DESCRIPTION),
            mode: Attr::none(MODE),
            admin_only: Attr::none(ADMIN_ONLY),
            hidden: Attr::none(HIDDEN),
            source_types: Attr::none(SOURCE_TYPES),
            required_scopes: Attr::none(REQUIRED_SCOPES),
        };
        match &attr.meta {
            Meta::Path(_) => {}
            Meta::List(_) => {
                let result = attr.parse_nested_meta(|meta| attrs.parse_entry(cx, meta));
                if let Err(e) = result {
                    cx.syn_error(e);
                }
            }
            Meta::NameValue(nv) => cx.error_spanned_by(
                nv,
                "expected `#[action]` or `#[action(mode = \"read\", ..)]`",
            ),
        }
        attrs
    }

    fn parse_entry(&mut self, cx: &Ctxt, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = meta.path.clone();
        if key.is_ident(NAME) {
            self.name.set(cx, &key, lit_str(&meta)?);
        } else if key.is_ident(DESCRIPTION) {
            self.description.set(cx, &key, lit_str(&meta)?);
        } else if key.is_ident(MODE) {
            let value = meta.value()?;
            self.mode.set(cx, &key, value.call(Word::parse)?);
        } else if key.is_ident(ADMIN_ONLY) {
            self.admin_only.set(cx, &key, flag(&meta)?);
        } else if key.is_ident(HIDDEN) {
            self.hidden.set(cx, &key, flag(&meta)?);
        } else if key.is_ident(SOURCE_TYPES) {
            self.source_types.set(cx, &key, words(&meta)?);
        } else if key.is_ident(REQUIRED_SCOPES) {
            self.required_scopes.set(cx, &key, strings(&meta)?);
        } else {
            let name = key_name(&meta);
            cx.error_spanned_by(&key, unknown("`#[action]` key", &name, ACTION_KEYS));
            skip_value(&meta)?;
        }
        Ok(())
    }
}

/// `#[param(..)]` on an action's parameter.
pub struct ParamAttrs {
    pub name: Attr<LitStr>,
    pub description: Attr<LitStr>,
}

impl ParamAttrs {
    pub fn new() -> Self {
        Self {
            name: Attr::none(NAME),
            description: Attr::none(DESCRIPTION),
        }
    }

    pub fn parse(&mut self, cx: &Ctxt, attr: &Attribute) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.clone();
            if key.is_ident(NAME) {
                self.name.set(cx, &key, lit_str(&meta)?);
            } else if key.is_ident(DESCRIPTION) {
                self.description.set(cx, &key, lit_str(&meta)?);
            } else {
                let name = key_name(&meta);
                cx.error_spanned_by(&key, unknown("`#[param]` key", &name, PARAM_KEYS));
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
}
