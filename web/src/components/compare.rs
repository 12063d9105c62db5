//! Compare mode's bar: run B is run A with one scenario field changed, on the same seed and
//! the same inputs; every command goes to both.

use serde_json::Value;
use yew::prelude::*;

use crate::labs;
use crate::state::{get_path, CompareSpec};
use crate::text::label;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub lab: &'static str,
    pub spec: Option<CompareSpec>,
    /// Run A's scenario, to pick a different value for B.
    pub scenario: Value,
    pub on_change: Callback<Option<CompareSpec>>,
}

/// The first choice for `field` that differs from run A's value.
fn other_value(field: &str, values: &[&str], scenario: &Value) -> String {
    let current = match get_path(scenario, field) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    values
        .iter()
        .find(|v| **v != current)
        .or(values.first())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

#[function_component(CompareBar)]
pub fn compare_bar(props: &CompareProps) -> Html {
    let fields = labs::ui(props.lab).compare;
    if fields.is_empty() {
        return html! {};
    }
    let scenario = props.scenario.clone();
    let start = {
        let cb = props.on_change.clone();
        let scenario = scenario.clone();
        Callback::from(move |_: MouseEvent| {
            let (field, values) = fields[0];
            let value = other_value(field, values, &scenario);
            cb.emit(Some(CompareSpec {
                field: field.to_string(),
                value,
            }));
        })
    };
    let Some(spec) = &props.spec else {
        return html! {
            <div class="compare-bar">
                <button data-testid="compare" onclick={start}
                    title="Run a second configuration side by side on the same seed and inputs">
                    { "Compare…" }
                </button>
            </div>
        };
    };
    let stop = {
        let cb = props.on_change.clone();
        Callback::from(move |_: MouseEvent| cb.emit(None))
    };
    let on_field = {
        let cb = props.on_change.clone();
        let scenario = scenario.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Some((field, values)) = fields.iter().find(|(f, _)| *f == s.value()) {
                    let value = other_value(field, values, &scenario);
                    cb.emit(Some(CompareSpec {
                        field: field.to_string(),
                        value,
                    }));
                }
            }
        })
    };
    let on_value = {
        let cb = props.on_change.clone();
        let field = spec.field.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                cb.emit(Some(CompareSpec {
                    field: field.clone(),
                    value: s.value(),
                }));
            }
        })
    };
    let values = fields
        .iter()
        .find(|(f, _)| *f == spec.field)
        .map_or(&[][..], |(_, v)| *v);
    html! {
        <div class="compare-bar on">
            <span class="compare-label">{ "Comparing with B:" }</span>
            <select aria-label="Field to change in B" onchange={on_field} data-testid="compare-field">
                <>{ for fields.iter().map(|(f, _)| html! {
                    <option value={*f} selected={*f == spec.field}>{ label(f) }</option>
                }) }</>
            </select>
            <span>{ "=" }</span>
            <select aria-label="Value in B" onchange={on_value} data-testid="compare-value">
                <>{ for values.iter().map(|v| html! {
                    <option value={*v} selected={*v == spec.value}>{ label(v) }</option>
                }) }</>
            </select>
            <button data-testid="compare" aria-pressed="true" onclick={stop}>{ "Stop comparing" }</button>
        </div>
    }
}
