//! A labelled menu that changes a running simulation: each choice sends a command built from
//! the chosen value (the elevator's dispatcher, the cache's policy).

use serde_json::Value;
use yew::prelude::*;

/// A `<label><span>label</span><select>` whose change emits `command(value)`. A current value
/// outside `options` (from an old link, say) is still shown, as itself.
pub fn live_select(
    label: &str,
    testid: &str,
    options: &[&'static str],
    current: &str,
    name_of: fn(&str) -> String,
    command: fn(String) -> Value,
    on_command: &Callback<Value>,
) -> Html {
    let cmd = on_command.clone();
    let onchange = Callback::from(move |e: Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            cmd.emit(command(select.value()));
        }
    });
    html! {
        <label class="inline">
            <span>{ label }</span>
            <select data-testid={testid.to_string()} {onchange}>
                <>{ for options.iter().map(|o| html! {
                    <option value={*o} selected={current == *o}>{ name_of(o) }</option>
                }) }</>
                if !options.contains(&current) {
                    <option value={current.to_string()} selected=true>{ current }</option>
                }
            </select>
        </label>
    }
}
