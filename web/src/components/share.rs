//! The share button and the field that shows the link it copied.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The last link produced, shown in a read-only field once there is one.
    pub url: Option<String>,
    pub on_share: Callback<()>,
}

#[function_component(Share)]
pub fn share(props: &ShareProps) -> Html {
    let on_click = {
        let cb = props.on_share.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let on_focus = Callback::from(|e: FocusEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
            input.select();
        }
    });
    html! {
        <div class="share">
            <button class="primary" data-testid="share" onclick={on_click}
                title="Copy a link that replays this run to this moment">
                { "Share" }
            </button>
            if let Some(url) = &props.url {
                <input id="share-url" class="share-url" type="text" readonly=true
                    aria-label="Share link" value={url.clone()} onfocus={on_focus} />
            }
        </div>
    }
}
