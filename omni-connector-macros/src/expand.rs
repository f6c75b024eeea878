//! The code `#[connector]` generates from a checked [`Connector`]: the
//! `Connector` trait impl and an inherent `manifest()`.
//!
//! Generated code names the runtime only through `<crate>::__private`
//! (`::omni_connector` unless `crate = ".."` says otherwise).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemImpl, LitStr, Type};

use crate::ast::{Action, ActionArg, Connector, Return};
use crate::valid::{action_description, action_name, state_type};

/// The runtime path: `::omni_connector` or the `crate = ".."` override.
fn runtime(c: &Connector) -> TokenStream {
    match c.attrs.krate.get() {
        Some(path) => path.to_token_stream(),
        None => quote!(::omni_connector),
    }
}

/// The user's impl block (helper attributes removed) followed by the
/// generated items.
pub fn connector(c: &Connector, item: &ItemImpl) -> TokenStream {
    let krate = runtime(c);
    let p = quote!(#krate::__private);
    let self_ty = &c.self_ty;
    let a = &c.attrs;

    let name = a.name.get().map(LitStr::value).unwrap_or_default();
    let version = a.version.get().map(LitStr::value).unwrap_or_default();
    let display_name = a
        .display_name
        .get()
        .map(LitStr::value)
        .unwrap_or_else(|| name.clone());
    let description = match a
        .description
        .get()
        .map(LitStr::value)
        .or_else(|| c.doc.clone())
    {
        Some(d) => quote!(#p::Some(#d)),
        None => quote!(#p::None),
    };
    let sync_modes: Vec<TokenStream> = match a.sync_modes.get() {
        Some(modes) => modes.iter().map(|m| sync_mode(&p, &m.value)).collect(),
        None => vec![sync_mode(&p, "full")],
    };
    let source_types: Vec<String> = a
        .source_types
        .get()
        .map(|t| t.iter().map(|w| w.value.clone()).collect())
        .unwrap_or_default();
    let search_operators = a.search_operators.get().map_or_else(Vec::new, |ops| {
        ops.iter()
            .map(|op| {
                let value_type = match op.value_type.as_ref().map(|w| w.value.as_str()) {
                    Some("person") => quote!(Person),
                    Some("datetime") => quote!(Datetime),
                    _ => quote!(Text),
                };
                let (operator, key) = (&op.operator, &op.attribute_key);
                quote!(#p::search_operator(#operator, #key, #p::SearchValueType::#value_type))
            })
            .collect()
    });
    let read_only = a.read_only.get().copied().unwrap_or(false);
    let schema_fn = |path: Option<&syn::Path>| match path {
        Some(path) => quote_spanned!(path.span()=> #p::Some(#path())),
        None => quote!(#p::None),
    };
    let extra_schema = schema_fn(a.extra_schema.get());
    let attributes_schema = schema_fn(a.attributes_schema.get());

    let actions: Vec<TokenStream> = c.actions.iter().map(|x| definition(&p, x)).collect();
    let action_names: Vec<String> = c.actions.iter().map(action_name).collect();
    let arms: Vec<TokenStream> = c
        .actions
        .iter()
        .map(|x| dispatch_arm(&p, self_ty, x))
        .collect();

    let sync = sync_impl(&p, c);
    let cancel = c.cancel.as_ref().map(|m| {
        let ident = &m.sig.ident;
        quote! {
            fn cancel(&self, sync_run_id: &str) {
                <#self_ty>::#ident(self, sync_run_id)
            }
        }
    });

    quote! {
        #item

        const _: () = {
            #[automatically_derived]
            impl #p::Connector for #self_ty {
                #sync

                fn name(&self) -> &str {
                    #name
                }

                fn version(&self) -> &str {
                    #version
                }

                fn display_name(&self) -> &str {
                    #display_name
                }

                fn description(&self) -> #p::Option<&str> {
                    #description
                }

                fn sync_modes(&self) -> #p::Vec<#p::SyncMode> {
                    #p::Vec::from([#(#sync_modes),*])
                }

                fn source_types(&self) -> #p::Vec<#p::String> {
                    #p::strings(&[#(#source_types),*])
                }

                fn actions(&self) -> #p::Vec<#p::ActionDefinition> {
                    #p::Vec::from([#(#actions),*])
                }

                fn search_operators(&self) -> #p::Vec<#p::SearchOperator> {
                    #p::Vec::from([#(#search_operators),*])
                }

                fn read_only(&self) -> bool {
                    #read_only
                }

                fn extra_schema(&self) -> #p::Option<#p::Value> {
                    #extra_schema
                }

                fn attributes_schema(&self) -> #p::Option<#p::Value> {
                    #attributes_schema
                }

                #cancel

                fn execute_action(
                    &self,
                    action: &str,
                    params: #p::Value,
                    ctx: #p::ActionContext,
                ) -> impl #p::Future<Output = #p::ActionResponse> + ::core::marker::Send {
                    async move {
                        let __omni_params = params;
                        let __omni_ctx = ctx;
                        match action {
                            #(#arms)*
                            _ => {
                                let _ = (__omni_params, __omni_ctx);
                                #p::ActionResponse::not_supported(action)
                            }
                        }
                    }
                }
            }

            #[automatically_derived]
            impl #self_ty {
                /// The names of the connector's actions, as the manager calls them.
                #[allow(dead_code)]
                pub const ACTIONS: &'static [&'static str] = &[#(#action_names),*];

                /// The connector's manifest, with an empty `connector_url`
                /// (the server fills it in when it registers).
                #[allow(dead_code)]
                pub fn manifest(&self) -> #p::ConnectorManifest {
                    <Self as #p::Connector>::manifest(self, "")
                }
            }
        };
    }
}

fn sync_mode(p: &TokenStream, mode: &str) -> TokenStream {
    let variant = match mode {
        "incremental" => quote!(Incremental),
        "realtime" => quote!(Realtime),
        _ => quote!(Full),
    };
    quote!(#p::SyncMode::#variant)
}

/// `type Config/Credentials/State` and `fn sync`, forwarding to the user's
/// method. `valid` guarantees the shape.
fn sync_impl(p: &TokenStream, c: &Connector) -> TokenStream {
    let Some(method) = c.syncs.first() else {
        return TokenStream::new();
    };
    let args: Vec<&Type> = method
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(&*t.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let (Some(config), Some(credentials), Some(state)) = (
        args.first(),
        args.get(1),
        args.get(2).and_then(|t| state_type(t)),
    ) else {
        return TokenStream::new();
    };
    let self_ty = &c.self_ty;
    let ident = &method.sig.ident;
    let call = quote_spanned! {ident.span()=>
        <#self_ty>::#ident(self, config, credentials, state, ctx)
    };
    quote! {
        type Config = #config;
        type Credentials = #credentials;
        type State = #state;

        fn sync(
            &self,
            config: Self::Config,
            credentials: Self::Credentials,
            state: #p::Option<Self::State>,
            ctx: &#p::SyncContext<Self::State>,
        ) -> impl #p::Future<Output = #p::Result<()>> + ::core::marker::Send {
            #call
        }
    }
}

/// The action's `ActionDefinition`, built when the manifest is.
fn definition(p: &TokenStream, action: &Action) -> TokenStream {
    let name = action_name(action);
    let description = action_description(action).unwrap_or_default();
    let schema = input_schema(p, action);
    let attrs = &action.attrs;
    let mode = match attrs.mode.get().map(|w| w.value.as_str()) {
        Some("read") => quote!(Read),
        _ => quote!(Write),
    };
    let scopes = match attrs.required_scopes.get() {
        Some(scopes) => quote!(#p::Some(&[#(#scopes),*])),
        None => quote!(#p::None),
    };
    let source_types: Vec<String> = attrs
        .source_types
        .get()
        .map(|t| t.iter().map(|w| w.value.clone()).collect())
        .unwrap_or_default();
    let admin_only = attrs.admin_only.get().copied().unwrap_or(false);
    let hidden = attrs.hidden.get().copied().unwrap_or(false);
    quote! {
        #p::action(
            #name,
            #description,
            #schema,
            #p::ActionMode::#mode,
            #scopes,
            &[#(#source_types),*],
            #admin_only,
            #hidden,
        )
    }
}

/// The input schema: the `#[params]` struct's, or an object whose
/// properties are the inline parameters. The type requirements are spanned
/// at the user's types, so a type without a schema is reported there.
fn input_schema(p: &TokenStream, action: &Action) -> TokenStream {
    let mut params = Vec::new();
    for arg in &action.args {
        match arg {
            ActionArg::Params { ty, .. } => {
                return quote_spanned! {ty.span()=>
                    <#ty as #p::ParamsSchema>::params_schema()
                };
            }
            ActionArg::Param {
                name,
                ty,
                description,
                ..
            } => {
                let description = match description {
                    Some(d) => quote!(#p::Some(#d)),
                    None => quote!(#p::None),
                };
                let schema = quote_spanned!(ty.span()=> <#ty as #p::Schema>::schema());
                let optional = quote_spanned!(ty.span()=> <#ty as #p::Schema>::optional());
                params.push(quote! {
                    #p::Param {
                        name: #name,
                        schema: #schema,
                        required: !#optional,
                        description: #description,
                    }
                });
            }
            ActionArg::Context { .. } => {}
        }
    }
    quote!(#p::inline_schema(#p::Vec::from([#(#params),*])))
}

/// `"name" => { decode; call; respond }`.
fn dispatch_arm(p: &TokenStream, self_ty: &Type, action: &Action) -> TokenStream {
    let name = action_name(action);
    let method = &action.sig.ident;
    let mut decode = Vec::new();
    let mut call_args = Vec::new();
    let inline = action
        .args
        .iter()
        .any(|a| matches!(a, ActionArg::Param { .. }));
    if inline {
        decode.push(quote! {
            let __omni_params = match #p::params_object(__omni_params) {
                ::core::result::Result::Ok(map) => map,
                ::core::result::Result::Err(response) => return response,
            };
        });
    }
    let mut uses_params = inline;
    let mut uses_ctx = false;
    for (i, arg) in action.args.iter().enumerate() {
        match arg {
            ActionArg::Param { name, ty, .. } => {
                let local = format_ident!("__omni_arg_{}", i);
                let decoded = quote_spanned! {ty.span()=>
                    #p::decode_param::<#ty>(&__omni_params, #name)
                };
                decode.push(quote! {
                    let #local = match #decoded {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                });
                call_args.push(quote!(#local));
            }
            ActionArg::Params { ty, .. } => {
                uses_params = true;
                let decoded = quote_spanned! {ty.span()=>
                    #p::decode_params::<#ty>(__omni_params)
                };
                decode.push(quote! {
                    let __omni_struct = match #decoded {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                });
                call_args.push(quote!(__omni_struct));
            }
            ActionArg::Context { by_ref } => {
                uses_ctx = true;
                call_args.push(if *by_ref {
                    quote!(&__omni_ctx)
                } else {
                    quote!(__omni_ctx)
                });
            }
        }
    }
    let unused_params = (!uses_params).then(|| quote!(let _ = __omni_params;));
    let unused_ctx = (!uses_ctx).then(|| quote!(let _ = &__omni_ctx;));
    let respond = match &action.ret {
        Return::Unit => quote!(#p::respond_value(__omni_result)),
        Return::Result(ty) => quote_spanned!(ty.span()=> #p::respond_result(__omni_result)),
        Return::Response(ty) => quote_spanned!(ty.span()=> #p::respond_response(__omni_result)),
        Return::Value(ty) => quote_spanned!(ty.span()=> #p::respond_value(__omni_result)),
    };
    quote! {
        #name => {
            #unused_params
            #unused_ctx
            #(#decode)*
            let __omni_result = <#self_ty>::#method(self, #(#call_args),*).await;
            #respond
        }
    }
}
