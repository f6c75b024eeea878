//! Every check `#[connector]` makes. Each error points at the user's token
//! that is wrong; all of them are collected before anything is reported.

use std::collections::BTreeMap;

use proc_macro2::Span;
use quote::ToTokens;
use syn::{FnArg, LitStr, Signature, Type};

use crate::ast::{Action, ActionArg, Connector, Method};
use crate::attr::Word;
use crate::ctxt::Ctxt;
use crate::symbol::*;
use crate::util::unknown;

pub fn check(cx: &Ctxt, c: &Connector) {
    check_generics(cx, c);
    check_manifest(cx, c);
    check_sync(cx, c);
    check_cancel(cx, c);
    check_actions(cx, c);
}

fn check_generics(cx: &Ctxt, c: &Connector) {
    if !c.generics.params.is_empty() || c.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &c.generics,
            "`#[connector]` does not support generic impl blocks; implement it on a concrete type (a type alias works)",
        );
    }
}

fn check_manifest(cx: &Ctxt, c: &Connector) {
    let a = &c.attrs;
    match a.name.get() {
        None => cx.error_at(
            Span::call_site(),
            "missing `name`: add `name = \"my-connector\"` to `#[connector(..)]`",
        ),
        Some(name) if !is_kebab_case(&name.value()) => cx.error_spanned_by(
            name,
            format!(
                "`{}` is not a valid connector name: use lowercase kebab-case, such as `my-connector`",
                name.value()
            ),
        ),
        Some(_) => {}
    }
    match a.version.get() {
        None => cx.error_at(
            Span::call_site(),
            "missing `version`: add `version = \"0.1.0\"` to `#[connector(..)]`",
        ),
        Some(version) => {
            if let Err(why) = check_semver(&version.value()) {
                cx.error_spanned_by(
                    version,
                    format!(
                        "`{}` is not a semantic version ({why}), such as `1.0.0`",
                        version.value()
                    ),
                );
            }
        }
    }
    if let Some(modes) = a.sync_modes.get() {
        if modes.is_empty() {
            if let Some(key) = a.sync_modes.key() {
                cx.error_spanned_by(key, "`sync_modes` needs at least one mode");
            }
        }
        check_words(cx, modes, "sync mode", SYNC_MODE_VALUES);
    }
    if let Some(types) = a.source_types.get() {
        check_words(cx, types, "source type", SOURCE_TYPE_VALUES);
    }
    if let Some(ops) = a.search_operators.get() {
        let mut seen = BTreeMap::new();
        for op in ops {
            if op.operator.value().is_empty() {
                cx.error_spanned_by(&op.operator, "a search operator cannot be empty");
            }
            if seen.insert(op.operator.value(), ()).is_some() {
                cx.error_spanned_by(
                    &op.operator,
                    format!("duplicate search operator `{}`", op.operator.value()),
                );
            }
            if let Some(vt) = &op.value_type {
                check_words(
                    cx,
                    std::slice::from_ref(vt),
                    "search value type",
                    VALUE_TYPES,
                );
            }
        }
    }
    for lit in [a.display_name.get(), a.description.get()]
        .into_iter()
        .flatten()
    {
        if lit.value().trim().is_empty() {
            cx.error_spanned_by(lit, "this cannot be empty");
        }
    }
}

/// Each word must be one of `allowed`; duplicates are reported too.
fn check_words(cx: &Ctxt, words: &[Word], what: &str, allowed: &[&str]) {
    let mut seen = Vec::new();
    for w in words {
        if !allowed.contains(&w.value.as_str()) {
            cx.error_at(w.span, unknown(what, &w.value, allowed));
        } else if seen.contains(&w.value) {
            cx.error_at(w.span, format!("duplicate {what} `{}`", w.value));
        } else {
            seen.push(w.value.clone());
        }
    }
}

/// Lowercase kebab-case: `rss`, `google-drive`, `s3-v2`.
pub fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Semantic Versioning 2.0.0: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
pub fn check_semver(version: &str) -> Result<(), &'static str> {
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3 {
        return Err("expected MAJOR.MINOR.PATCH");
    }
    for part in parts {
        if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
            return Err("MAJOR, MINOR and PATCH must be numbers");
        }
        if part.len() > 1 && part.starts_with('0') {
            return Err("numbers must not have leading zeros");
        }
    }
    let identifiers_ok = |s: &str, numeric_rule: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !(numeric_rule
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.chars().all(|c| c.is_ascii_digit()))
        })
    };
    if let Some(pre) = pre {
        if !identifiers_ok(pre, true) {
            return Err("invalid pre-release part");
        }
    }
    if let Some(build) = build {
        if !identifiers_ok(build, false) {
            return Err("invalid build metadata");
        }
    }
    Ok(())
}

/// `&self`, or a description of what is there instead.
fn receiver_problem(sig: &Signature) -> Option<String> {
    match sig.inputs.first() {
        Some(FnArg::Receiver(r))
            if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() =>
        {
            None
        }
        Some(FnArg::Receiver(r)) => Some(format!("takes `{}`", r.to_token_stream())),
        _ => Some("takes no `self`".into()),
    }
}

fn typed_args(sig: &Signature) -> Vec<&Type> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(&*t.ty),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

const SYNC_SHAPE: &str = "async fn sync(&self, config: Config, credentials: Credentials, state: Option<State>, ctx: &SyncContext<State>) -> Result<()>";

fn check_sync(cx: &Ctxt, c: &Connector) {
    let Some((first, rest)) = c.syncs.split_first() else {
        cx.error_at(
            Span::call_site(),
            format!(
                "no sync method: add `{SYNC_SHAPE}` to the impl block, or mark a method `#[sync]`"
            ),
        );
        return;
    };
    for other in rest {
        let span_of = |m: &Method| match &m.marker {
            Some(attr) => attr.to_token_stream(),
            None => m.sig.ident.to_token_stream(),
        };
        cx.error_spanned_by(
            span_of(other),
            format!(
                "a second sync method: `{}` is already the sync method; keep one (a method named `sync` or marked `#[sync]`)",
                first.sig.ident
            ),
        );
    }
    let sig = &first.sig;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!("the sync method must be `async`: `{SYNC_SHAPE}`"),
        );
    }
    if let Some(problem) = receiver_problem(sig) {
        cx.error_spanned_by(
            &sig.inputs,
            format!("the sync method must take `&self`, but it {problem}: `{SYNC_SHAPE}`"),
        );
    }
    let args = typed_args(sig);
    if args.len() != 4 {
        cx.error_spanned_by(
            &sig.inputs,
            format!(
                "the sync method takes 4 arguments after `&self`, not {}: `{SYNC_SHAPE}`",
                args.len()
            ),
        );
    } else {
        if state_type(args[2]).is_none() {
            cx.error_spanned_by(
                args[2],
                "the sync method's third argument is the starting state: `Option<State>`",
            );
        }
        if !matches!(args[3], Type::Reference(_)) {
            cx.error_spanned_by(
                args[3],
                "the sync method's fourth argument is the context: `&SyncContext<State>`",
            );
        }
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(&sig.generics, "the sync method cannot be generic");
    }
}

/// `S` in `Option<S>`.
pub fn state_type(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

fn check_cancel(cx: &Ctxt, c: &Connector) {
    let Some(cancel) = &c.cancel else { return };
    let sig = &cancel.sig;
    const SHAPE: &str = "fn cancel(&self, sync_run_id: &str)";
    if let Some(asyncness) = sig.asyncness {
        cx.error_spanned_by(asyncness, format!("`cancel` is not async: `{SHAPE}`"));
    }
    if let Some(problem) = receiver_problem(sig) {
        cx.error_spanned_by(
            &sig.inputs,
            format!("`cancel` must take `&self`, but it {problem}: `{SHAPE}`"),
        );
    } else if typed_args(sig).len() != 1 {
        cx.error_spanned_by(
            &sig.inputs,
            format!("`cancel` takes one argument after `&self`: `{SHAPE}`"),
        );
    }
}

fn check_actions(cx: &Ctxt, c: &Connector) {
    let mut names: BTreeMap<String, ()> = BTreeMap::new();
    for action in &c.actions {
        check_action(cx, action);
        let name = action_name(action);
        if names.insert(name.clone(), ()).is_some() {
            match action.attrs.name.get() {
                Some(lit) => cx.error_spanned_by(lit, format!("duplicate action `{name}`")),
                None => cx.error_spanned_by(
                    &action.sig.ident,
                    format!(
                        "duplicate action `{name}`; rename one with `#[action(name = \"..\")]`"
                    ),
                ),
            }
        }
    }
}

/// The name the manager calls an action by.
pub fn action_name(action: &Action) -> String {
    match action.attrs.name.get() {
        Some(lit) => lit.value(),
        None => action
            .sig
            .ident
            .to_string()
            .trim_start_matches("r#")
            .to_owned(),
    }
}

/// The description: `description = ".."`, else the doc comment.
pub fn action_description(action: &Action) -> Option<String> {
    action
        .attrs
        .description
        .get()
        .map(LitStr::value)
        .or_else(|| action.doc.clone())
}

fn check_action(cx: &Ctxt, action: &Action) {
    let sig = &action.sig;
    let ident = &sig.ident;
    match sig.inputs.first() {
        Some(FnArg::Receiver(_)) => {
            if let Some(problem) = receiver_problem(sig) {
                cx.error_spanned_by(
                    &sig.inputs,
                    format!("action `{ident}` must take `&self`, but it {problem}"),
                );
            }
        }
        _ => cx.error_spanned_by(
            ident,
            format!("action `{ident}` must be a method: add `&self` as its first argument"),
        ),
    }
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!("action `{ident}` must be `async`: `async fn {ident}(&self, ..)`"),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(&sig.generics, format!("action `{ident}` cannot be generic"));
    }
    if let Some(name) = action.attrs.name.get() {
        if name.value().trim().is_empty() {
            cx.error_spanned_by(name, "an action name cannot be empty");
        }
    }
    if action_description(action).is_none_or(|d| d.trim().is_empty()) {
        cx.error_spanned_by(
            ident,
            format!("action `{ident}` has no description: add a `///` doc comment or `#[action(description = \"..\")]`; users and AI agents read it"),
        );
    }
    if let Some(mode) = action.attrs.mode.get() {
        check_words(cx, std::slice::from_ref(mode), "action mode", ACTION_MODES);
    }
    if let Some(types) = action.attrs.source_types.get() {
        check_words(cx, types, "source type", SOURCE_TYPE_VALUES);
    }
    let params_structs: Vec<_> = action
        .args
        .iter()
        .filter_map(|a| match a {
            ActionArg::Params { marker, .. } => Some(marker),
            _ => None,
        })
        .collect();
    let inline = action
        .args
        .iter()
        .any(|a| matches!(a, ActionArg::Param { .. }));
    if let Some(marker) = params_structs.first() {
        if params_structs.len() > 1 || inline {
            cx.error_spanned_by(
                marker,
                "a `#[params]` struct must be the action's only parameter (besides `&ActionContext`)",
            );
        }
    }
    let contexts = action
        .args
        .iter()
        .filter(|a| matches!(a, ActionArg::Context { .. }))
        .count();
    if contexts > 1 {
        cx.error_spanned_by(&sig.inputs, "an action takes at most one `ActionContext`");
    }
    let mut seen = BTreeMap::new();
    for arg in &action.args {
        if let ActionArg::Param { ident, name, .. } = arg {
            if seen.insert(name.clone(), ()).is_some() {
                cx.error_spanned_by(ident, format!("duplicate parameter `{name}`"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_names() {
        for ok in ["rss", "google-drive", "s3-v2", "a1"] {
            assert!(is_kebab_case(ok), "{ok}");
        }
        for bad in ["", "RSS", "my_conn", "-a", "a-", "a--b", "1a", "a b"] {
            assert!(!is_kebab_case(bad), "{bad}");
        }
    }

    #[test]
    fn semantic_versions() {
        for ok in [
            "0.1.0",
            "1.2.3",
            "1.0.0-alpha",
            "1.0.0-rc.1+build.5",
            "10.20.30+sha-1",
        ] {
            assert_eq!(check_semver(ok), Ok(()), "{ok}");
        }
        for bad in [
            "1.0", "1.0.0.0", "01.0.0", "1.a.0", "1.0.0-", "1.0.0-01", "1.0.0+", "v1.0.0",
        ] {
            assert!(check_semver(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn suggestions() {
        use crate::util::closest;
        assert_eq!(closest("dispay_name", CONNECTOR_KEYS), Some("display_name"));
        assert_eq!(closest("incremntal", SYNC_MODE_VALUES), Some("incremental"));
        assert_eq!(closest("colour", CONNECTOR_KEYS), None);
    }
}
