//! The app shell and its hash router: `#/` is the home page, `#/<lab>` a lab with its default
//! scenario, `#/<lab>?s=<payload>` a shared run.

use orrery_core::registry;
use yew::prelude::*;

use crate::home::Home;
use crate::hooks::use_hash;
use crate::lab_page::LabPage;

/// Where the address bar points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    /// A lab page; `link` is the whole fragment when it carries a query (a share link).
    Lab {
        id: String,
        link: Option<String>,
    },
    NotFound(String),
}

impl Route {
    /// Reads a fragment (without `#`). Anything that is not a known lab is `NotFound`.
    pub fn parse(fragment: &str) -> Route {
        let path = fragment.trim_start_matches('/');
        let (id, query) = match path.split_once('?') {
            Some((id, query)) => (id, Some(query)),
            None => (path, None),
        };
        let id = id.trim_end_matches('/');
        if id.is_empty() {
            return Route::Home;
        }
        if registry::find(id).is_none() {
            return Route::NotFound(id.to_string());
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
            Route::Lab { id, .. } => registry::find(id)
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
            html! { <LabPage key={hash.clone()} lab={id.clone()} link={link.clone()} /> }
        }
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
                    { for registry::labs().into_iter().map(|lab| {
                        let current = matches!(&route, Route::Lab { id, .. } if id == lab.id);
                        html! {
                            <a href={format!("#/{}", lab.id)}
                               class={classes!(current.then_some("current"))}
                               aria-current={current.then_some("page")}>
                                { lab.title }
                            </a>
                        }
                    }) }
                </nav>
            </header>
            { body }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_route_to_pages() {
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse("/"), Route::Home);
        assert_eq!(
            Route::parse("/elevator"),
            Route::Lab {
                id: "elevator".into(),
                link: None
            }
        );
        assert_eq!(
            Route::parse("/elevator?s=1.abc"),
            Route::Lab {
                id: "elevator".into(),
                link: Some("/elevator?s=1.abc".into())
            }
        );
        assert_eq!(Route::parse("/nope"), Route::NotFound("nope".into()));
    }
}
