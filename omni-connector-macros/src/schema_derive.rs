//! `#[derive(Schema)]`: a JSON Schema for a struct with named fields, a
//! newtype struct or a unit-only enum, following the serde attributes that
//! change the JSON (`rename`, `rename_all`, `default`, `skip`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr, Path, Token};

use crate::ctxt::Ctxt;
use crate::symbol::*;
use crate::util::{doc_comment, skip_value, unknown};

/// What the serde attributes of one item say.
#[derive(Default)]
struct SerdeAttrs {
    rename: Option<String>,
    rename_all: Option<(String, proc_macro2::Span)>,
    default: bool,
    skip: bool,
    flatten: Option<Path>,
}

/// `"x"` or `(deserialize = "x", serialize = "y")`: the deserialize name,
/// since an action's parameters are deserialized.
fn renamed(meta: &ParseNestedMeta) -> syn::Result<Option<LitStr>> {
    if meta.input.peek(Token![=]) {
        return Ok(Some(meta.value()?.parse()?));
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident(DESERIALIZE) {
            found = Some(inner.value()?.parse()?);
        } else {
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    Ok(found)
}

fn serde_attrs(cx: &Ctxt, attrs: &[Attribute]) -> SerdeAttrs {
    let mut out = SerdeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident(SERDE)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(RENAME) {
                out.rename = renamed(&meta)?.map(|l| l.value());
            } else if meta.path.is_ident(RENAME_ALL) {
                if let Some(lit) = renamed(&meta)? {
                    out.rename_all = Some((lit.value(), lit.span()));
                }
            } else if meta.path.is_ident(DEFAULT) {
                out.default = true;
                skip_value(&meta)?;
            } else if meta.path.is_ident(SKIP) || meta.path.is_ident(SKIP_DESERIALIZING) {
                out.skip = true;
            } else if meta.path.is_ident(FLATTEN) {
                out.flatten = Some(meta.path.clone());
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}

/// `#[schema(crate = "..")]`.
fn runtime(cx: &Ctxt, attrs: &[Attribute]) -> TokenStream {
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident(SCHEMA)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(CRATE) {
                let lit: LitStr = meta.value()?.parse()?;
                krate = Some(lit.parse::<Path>()?);
            } else {
                let name = meta.path.to_token_stream().to_string();
                cx.error_spanned_by(&meta.path, unknown("`#[schema]` key", &name, &[CRATE]));
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    match krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::omni_connector),
    }
}

/// serde's rename rules, applied to a field (`snake_case` in Rust).
fn rename_field(rule: &str, field: &str) -> String {
    match rule {
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(field),
        "camelCase" => {
            let p = pascal(field);
            let mut chars = p.chars();
            match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => p,
            }
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => field.to_owned(),
    }
}

fn pascal(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// serde's rename rules, applied to a variant (`PascalCase` in Rust).
fn rename_variant(rule: &str, variant: &str) -> String {
    let snake = || {
        let mut out = String::new();
        for (i, c) in variant.char_indices() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    match rule {
        "lowercase" => variant.to_ascii_lowercase(),
        "UPPERCASE" => variant.to_ascii_uppercase(),
        "camelCase" => {
            let mut chars = variant.chars();
            match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        }
        "snake_case" => snake(),
        "SCREAMING_SNAKE_CASE" => snake().to_ascii_uppercase(),
        "kebab-case" => snake().replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => snake().to_ascii_uppercase().replace('_', "-"),
        _ => variant.to_owned(),
    }
}

fn check_rule(cx: &Ctxt, rule: &Option<(String, proc_macro2::Span)>) {
    if let Some((rule, span)) = rule {
        if !RENAME_RULES.contains(&rule.as_str()) {
            cx.error_at(*span, unknown("`rename_all` rule", rule, RENAME_RULES));
        }
    }
}

fn option_str(p: &TokenStream, text: Option<String>) -> TokenStream {
    match text {
        Some(t) => quote!(#p::Some(#t)),
        None => quote!(#p::None),
    }
}

pub fn derive(input: DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let krate = runtime(&cx, &input.attrs);
    let p = quote!(#krate::__private);
    let container = serde_attrs(&cx, &input.attrs);
    check_rule(&cx, &container.rename_all);
    let rule = container.rename_all.as_ref().map(|(r, _)| r.as_str());
    let doc = option_str(&p, doc_comment(&input.attrs));

    let mut params_impl = false;
    let body = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => {
                params_impl = true;
                let mut entries = Vec::new();
                for field in &fields.named {
                    let attrs = serde_attrs(&cx, &field.attrs);
                    if let Some(path) = &attrs.flatten {
                        cx.error_spanned_by(
                            path,
                            "`#[serde(flatten)]` is not supported by `#[derive(Schema)]`: write the fields out",
                        );
                    }
                    if attrs.skip {
                        continue;
                    }
                    let Some(ident) = &field.ident else { continue };
                    let rust_name = ident.to_string().trim_start_matches("r#").to_owned();
                    let name = attrs
                        .rename
                        .unwrap_or_else(|| rename_field(rule.unwrap_or(""), &rust_name));
                    let ty = &field.ty;
                    let schema = quote_spanned!(ty.span()=> <#ty as #p::Schema>::schema());
                    let optional = quote_spanned!(ty.span()=> <#ty as #p::Schema>::optional());
                    let schema = match doc_comment(&field.attrs) {
                        Some(d) => quote!(#p::derive_support::describe(#schema, #d)),
                        None => schema,
                    };
                    let has_default = attrs.default || container.default;
                    entries.push(quote! {
                        __omni_properties.insert(#p::String::from(#name), #schema);
                        if !#has_default && !#optional {
                            __omni_required.push(#p::Value::String(#p::String::from(#name)));
                        }
                    });
                }
                quote! {
                    let mut __omni_properties = #p::Map::new();
                    let mut __omni_required: #p::Vec<#p::Value> = #p::Vec::new();
                    #(#entries)*
                    #p::derive_support::object(__omni_properties, __omni_required, #doc)
                }
            }
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let ty = &fields.unnamed[0].ty;
                let schema = quote_spanned!(ty.span()=> <#ty as #p::Schema>::schema());
                match doc_comment(&input.attrs) {
                    Some(d) => quote!(#p::derive_support::describe(#schema, #d)),
                    None => schema,
                }
            }
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "`#[derive(Schema)]` supports structs with named fields, newtype structs and unit-only enums",
                );
                TokenStream::new()
            }
        },
        Data::Enum(data) => {
            let mut names = Vec::new();
            for variant in &data.variants {
                if !matches!(variant.fields, Fields::Unit) {
                    cx.error_spanned_by(
                        variant,
                        "`#[derive(Schema)]` supports only unit-only enums (their JSON is a string); this variant has fields",
                    );
                    continue;
                }
                let attrs = serde_attrs(&cx, &variant.attrs);
                if attrs.skip {
                    continue;
                }
                let rust_name = variant.ident.to_string();
                names.push(
                    attrs
                        .rename
                        .unwrap_or_else(|| rename_variant(rule.unwrap_or(""), &rust_name)),
                );
            }
            quote! {
                let mut __omni_schema = #p::Map::new();
                __omni_schema.insert(#p::String::from("type"), #p::Value::from("string"));
                if let #p::Some(description) = #doc {
                    __omni_schema.insert(#p::String::from("description"), #p::Value::from(description));
                }
                __omni_schema.insert(
                    #p::String::from("enum"),
                    #p::Value::Array(#p::Vec::from([#(#p::Value::from(#names)),*])),
                );
                #p::Value::Object(__omni_schema)
            }
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "`#[derive(Schema)]` does not support unions",
            );
            TokenStream::new()
        }
    };
    if let Err(e) = cx.check() {
        return e.to_compile_error();
    }

    let ident = &input.ident;
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param.bounds.push(syn::parse_quote!(#p::Schema));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let params = params_impl.then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #p::ParamsSchema for #ident #ty_generics #where_clause {}
        }
    });
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::Schema for #ident #ty_generics #where_clause {
                fn schema() -> #p::Value {
                    // A recursive type cannot be inlined forever, and
                    // PROTOCOL.md §4 forbids `$ref`: stop at some depth.
                    let #p::Some(__omni_guard) = #p::derive_support::DepthGuard::enter() else {
                        return #p::derive_support::too_deep();
                    };
                    let __omni_schema = { #body };
                    ::core::mem::drop(__omni_guard);
                    __omni_schema
                }
            }
            #params
        };
    }
}
