//! The connector as the macro sees it: built from the user's impl block,
//! whose helper attributes (`#[action]`, `#[param]`, `#[params]`, `#[sync]`)
//! are removed on the way so the impl can be emitted unchanged otherwise.

use syn::{
    Attribute, FnArg, Generics, ImplItem, ItemImpl, LitStr, Pat, ReturnType, Signature, Type,
};

use crate::attr::{ActionAttrs, ConnectorAttrs, ParamAttrs};
use crate::ctxt::Ctxt;
use crate::symbol::{ACTION, CANCEL, PARAM, PARAMS, SYNC};
use crate::util::doc_comment;

pub struct Connector {
    pub attrs: ConnectorAttrs,
    pub self_ty: Type,
    pub generics: Generics,
    pub doc: Option<String>,
    pub syncs: Vec<Method>,
    pub cancel: Option<Method>,
    pub actions: Vec<Action>,
}

/// The sync or cancel method.
pub struct Method {
    pub sig: Signature,
    /// The `#[sync]` attribute, when that is how it was marked.
    pub marker: Option<Attribute>,
}

pub struct Action {
    pub sig: Signature,
    pub attrs: ActionAttrs,
    pub doc: Option<String>,
    pub args: Vec<ActionArg>,
    pub ret: Return,
}

pub enum ActionArg {
    /// `url: String`, a property of the input schema.
    Param {
        ident: syn::Ident,
        name: String,
        ty: Box<Type>,
        description: Option<LitStr>,
    },
    /// `#[params] p: Params`: the whole input schema.
    Params { marker: Attribute, ty: Box<Type> },
    /// `ctx: &ActionContext` or `ctx: ActionContext`.
    Context { by_ref: bool },
}

/// How an action's return value becomes an `ActionResponse`.
pub enum Return {
    /// No return type: success with `null`.
    Unit,
    /// `Result<T, E>`: `T` on success, `E`'s message on failure.
    Result(Box<Type>),
    /// `ActionResponse`: as is.
    Response(Box<Type>),
    /// Any other serializable value.
    Value(Box<Type>),
}

fn is_helper(attr: &Attribute, name: &str) -> bool {
    attr.path().is_ident(name)
}

/// Removes and returns the attributes named `name`.
fn take(attrs: &mut Vec<Attribute>, name: &str) -> Vec<Attribute> {
    let (taken, kept) = std::mem::take(attrs)
        .into_iter()
        .partition(|a| is_helper(a, name));
    *attrs = kept;
    taken
}

/// The last segment of a type path (`ActionContext`, `Result`...), seen
/// through one reference.
fn last_segment(ty: &Type) -> Option<(String, bool)> {
    match ty {
        Type::Reference(r) => last_segment(&r.elem).map(|(s, _)| (s, true)),
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| (s.ident.to_string(), false))
        }
        Type::Paren(p) => last_segment(&p.elem),
        Type::Group(g) => last_segment(&g.elem),
        _ => None,
    }
}

pub fn from_impl(cx: &Ctxt, attrs: ConnectorAttrs, item: &mut ItemImpl) -> Connector {
    let mut connector = Connector {
        attrs,
        self_ty: (*item.self_ty).clone(),
        generics: item.generics.clone(),
        doc: doc_comment(&item.attrs),
        syncs: Vec::new(),
        cancel: None,
        actions: Vec::new(),
    };
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let action_attrs = take(&mut method.attrs, ACTION);
        let sync_attrs = take(&mut method.attrs, SYNC);
        for extra in action_attrs.iter().skip(1) {
            cx.error_spanned_by(extra, "duplicate `#[action]`");
        }
        for extra in sync_attrs.iter().skip(1) {
            cx.error_spanned_by(extra, "duplicate `#[sync]`");
        }
        let name = method.sig.ident.to_string();
        let args = strip_param_attrs(cx, &mut method.sig, !action_attrs.is_empty());
        if let Some(attr) = action_attrs.first() {
            if let Some(sync) = sync_attrs.first() {
                cx.error_spanned_by(sync, "a method cannot be both `#[sync]` and `#[action]`");
            }
            let attrs = ActionAttrs::parse(cx, attr);
            connector.actions.push(Action {
                sig: method.sig.clone(),
                attrs,
                doc: doc_comment(&method.attrs),
                args,
                ret: return_kind(&method.sig.output),
            });
        } else if !sync_attrs.is_empty() || name == SYNC {
            connector.syncs.push(Method {
                sig: method.sig.clone(),
                marker: sync_attrs.into_iter().next(),
            });
        } else if name == CANCEL {
            connector.cancel = Some(Method {
                sig: method.sig.clone(),
                marker: None,
            });
        }
    }
    connector
}

/// Removes `#[param]`/`#[params]` from the parameters and, for an action,
/// classifies them.
fn strip_param_attrs(cx: &Ctxt, sig: &mut Signature, is_action: bool) -> Vec<ActionArg> {
    let mut args = Vec::new();
    for input in &mut sig.inputs {
        let FnArg::Typed(arg) = input else {
            continue;
        };
        let param_attrs = take(&mut arg.attrs, PARAM);
        let params_attrs = take(&mut arg.attrs, PARAMS);
        if !is_action {
            for attr in param_attrs.iter().chain(&params_attrs) {
                let name = if is_helper(attr, PARAM) {
                    PARAM
                } else {
                    PARAMS
                };
                cx.error_spanned_by(
                    attr,
                    format!("`#[{name}]` can only be used on a parameter of an `#[action]` method"),
                );
            }
            continue;
        }
        let ty = arg.ty.clone();
        if let Some((segment, by_ref)) = last_segment(&ty) {
            if segment == "ActionContext" {
                for attr in param_attrs.iter().chain(&params_attrs) {
                    cx.error_spanned_by(attr, "the `ActionContext` argument takes no attribute");
                }
                args.push(ActionArg::Context { by_ref });
                continue;
            }
        }
        if let Some(marker) = params_attrs.first() {
            if let Some(param) = param_attrs.first() {
                cx.error_spanned_by(param, "`#[param]` cannot be combined with `#[params]`");
            }
            if let syn::Meta::List(list) = &marker.meta {
                cx.error_spanned_by(list, "`#[params]` takes no arguments");
            }
            args.push(ActionArg::Params {
                marker: marker.clone(),
                ty,
            });
            continue;
        }
        let mut attrs = ParamAttrs::new();
        for attr in &param_attrs {
            attrs.parse(cx, attr);
        }
        let ident = match &*arg.pat {
            Pat::Ident(p) if p.subpat.is_none() => p.ident.clone(),
            other => {
                cx.error_spanned_by(
                    other,
                    "an action parameter must be a plain name, such as `url: String`",
                );
                continue;
            }
        };
        let name = match attrs.name.get() {
            Some(lit) => lit.value(),
            None => ident.to_string().trim_start_matches("r#").to_owned(),
        };
        args.push(ActionArg::Param {
            ident,
            name,
            ty,
            description: attrs.description.get().cloned(),
        });
    }
    args
}

fn return_kind(output: &ReturnType) -> Return {
    let ReturnType::Type(_, ty) = output else {
        return Return::Unit;
    };
    if let Type::Tuple(t) = &**ty {
        if t.elems.is_empty() {
            return Return::Unit;
        }
    }
    match last_segment(ty) {
        Some((s, false)) if s == "Result" => Return::Result(ty.clone()),
        Some((s, false)) if s == "ActionResponse" => Return::Response(ty.clone()),
        _ => Return::Value(ty.clone()),
    }
}
