//! The app shell and its hash router: `#/` is the home page, `#/<lab>` a lab with its default
//! scenario, `#/<lab>?s=<payload>` a shared run.
//!
//! A lab of the catalog that this bundle does not carry is [`Route::Elsewhere`]: the page
//! reloads, and the loader in `index.html` fetches the bundle that carries it.

use orrery_core::registry::{self, CATALOG};
use yew::prelude::*;

use crate::home::Home;
use crate::hooks::use_hash;
use crate::labs;

/// Where the address bar points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    /// A lab page; `link` is the whole fragment when it carries a query (a share link).
    Lab {
        id: String,
        link: Option<String>,
    },
    /// A lab of the catalog carried by another bundle.
    Elsewhere(String),
    NotFound(String),
}

impl Route {
    /// Reads a fragment (without `#`). Anything that is not a known lab is `NotFound`.
    pub fn parse(fragment: &str) -> Route {
        Route::parse_in(fragment, |id| labs::find(id).is_some())
    }

    /// [`Route::parse`] with the test for "this bundle carries the lab" given.
    fn parse_in(fragment: &str, carried: impl Fn(&str) -> bool) -> Route {
        let path = fragment.trim_start_matches('/');
        let (id, query) = match path.split_once('?') {
            Some((id, query)) => (id, Some(query)),
            None => (path, None),
        };
        let id = id.trim_end_matches('/');
        if id.is_empty() {
            return Route::Home;
        }
        if !carried(id) {
            return match registry::info(id) {
                Some(_) => Route::Elsewhere(id.to_string()),
                None => Route::NotFound(id.to_string()),
            };
        }
        let link = query
            .filter(|q| !q.is_empty())
            .map(|_| fragment.to_string());
        Route::Lab {
            id: id.to_string(),
            link,
        }
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let hash = use_hash();
    let route = Route::parse(&hash);
    {
        let title = match &route {
            Route::Lab { id, .. } | Route::Elsewhere(id) => registry::info(id)
                .map(|l| format!("{} · Orrery", l.title))
                .unwrap_or_else(|| "Orrery".into()),
            _ => "Orrery: system designs you can watch, poke and rewind".into(),
        };
        use_effect_with(title, |title| {
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                document.set_title(title);
            }
        });
    }
    let body = match &route {
        Route::Home => html! { <Home /> },
        Route::Lab { id, link } => {
            // A new fragment is a new page: the key remounts it with fresh state.
            labs::lab_page(id.clone(), link.clone(), hash.clone())
        }
        Route::Elsewhere(id) => html! { <Elsewhere id={id.clone()} /> },
        Route::NotFound(id) => html! {
            <main class="not-found">
                <h1>{ "No such lab" }</h1>
                <p>{ format!("There is no lab called “{id}”. ") }<a href="#/">{ "See every lab" }</a></p>
            </main>
        },
    };
    html! {
        <>
            <header class="topbar">
                <a class="brand" href="#/" aria-label="Orrery home">
                    <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                        <circle cx="12" cy="12" r="3" />
                        <ellipse cx="12" cy="12" rx="10" ry="4.5" fill="none" />
                        <circle cx="21.2" cy="10.6" r="1.6" />
                    </svg>
                    <span>{ "Orrery" }</span>
                </a>
                <nav class="lab-nav">
                    <>{ for CATALOG.iter().map(|lab| {
                        let current = matches!(&route, Route::Lab { id, .. } | Route::Elsewhere(id) if id == lab.id);
                        html! {
                            <a href={format!("#/{}", lab.id)}
                               class={classes!(current.then_some("current"))}
                               aria-current={current.then_some("page")}>
                                { lab.title }
                            </a>
                        }
                    }) }</>
                </nav>
            </header>
            { body }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ElsewhereProps {
    id: String,
}

/// A lab of another bundle: says so while the page reloads into it.
#[function_component(Elsewhere)]
fn elsewhere(props: &ElsewhereProps) -> Html {
    use_effect_with(props.id.clone(), |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    let title = registry::info(&props.id).map_or("the", |l| l.title);
    html! {
        <main class="lab-page loading" aria-busy="true">
            <p class="muted">{ format!("Loading the {title} lab…") }</p>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(fragment: &str) -> Route {
        Route::parse_in(fragment, |id| id == "elevator")
    }

    #[test]
    fn fragments_route_to_pages() {
        assert_eq!(parse(""), Route::Home);
        assert_eq!(parse("/"), Route::Home);
        assert_eq!(
            parse("/elevator"),
            Route::Lab {
                id: "elevator".into(),
                link: None
            }
        );
        assert_eq!(
            parse("/elevator?s=1.abc"),
            Route::Lab {
                id: "elevator".into(),
                link: Some("/elevator?s=1.abc".into())
            }
        );
        assert_eq!(parse("/cache?s=1.abc"), Route::Elsewhere("cache".into()));
        assert_eq!(parse("/nope"), Route::NotFound("nope".into()));
    }
}
