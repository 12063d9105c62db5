//! The scenario form, built from the scenario's own JSON: one field per leaf value, a menu
//! where the lab names the choices. Applying it starts a new run.

use std::collections::BTreeMap;

use serde_json::{Number, Value};
use yew::prelude::*;

use crate::labs;
use crate::state::set_path;
use crate::text::label;

#[derive(Properties, PartialEq)]
pub struct ScenarioProps {
    /// The running scenario; the form starts from it.
    pub scenario: Value,
    pub lab: &'static str,
    /// Why the last apply was refused by the lab.
    pub error: Option<String>,
    pub on_apply: Callback<Value>,
}

/// Every leaf of a JSON object as (dotted path, value): the paths in `order` first, then the
/// rest alphabetically.
fn leaves(value: &Value, order: &[&str]) -> Vec<(String, Value)> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, v, out);
                }
            }
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out.sort_by_key(|(path, _)| {
        let rank = order.iter().position(|o| o == path).unwrap_or(order.len());
        (rank, path.clone())
    });
    out
}

/// How a value shows in a text field.
fn as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if is_list(v) => {
            items.iter().map(as_text).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// A non-empty array of numbers or strings, edited as a comma-separated list; any other array
/// is edited as JSON.
fn is_list(v: &Value) -> bool {
    matches!(v, Value::Array(items) if !items.is_empty()
        && items.iter().all(|i| i.is_number() || i.is_string()))
}

/// Reads a text field back as the kind of value it replaced.
fn parse_as(text: &str, like: &Value) -> Result<Value, String> {
    let text = text.trim();
    let loose =
        |t: &str| serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.into()));
    match like {
        Value::Number(_) => {
            if let Ok(n) = text.parse::<u64>() {
                Ok(Value::Number(n.into()))
            } else if let Ok(n) = text.parse::<i64>() {
                Ok(Value::Number(n.into()))
            } else {
                text.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("“{text}” is not a number"))
            }
        }
        Value::Bool(_) => Ok(Value::Bool(text == "true")),
        Value::String(_) => Ok(Value::String(text.to_string())),
        Value::Array(_) if text.is_empty() => Ok(Value::Array(Vec::new())),
        Value::Array(_) if is_list(like) => Ok(Value::Array(
            text.split(',').map(|t| loose(t.trim())).collect(),
        )),
        Value::Array(_) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Array(_)) => Ok(v),
            _ => Err(format!("“{text}” is not a JSON array")),
        },
        _ if text.is_empty() => Ok(Value::Null),
        _ => Ok(loose(text)),
    }
}

#[function_component(ScenarioForm)]
pub fn scenario_form(props: &ScenarioProps) -> Html {
    let ui = labs::ui(props.lab);
    let mut fields = leaves(&props.scenario, ui.form_order);
    // What the lab's prepare step fills in is not the user's to edit (and is kept as it is).
    if let Some(owned) = ui.prepare.map(|p| p.owns) {
        fields.retain(|(path, _)| path != owned && !path.starts_with(&format!("{owned}.")));
    }
    let draft = {
        let fields = fields.clone();
        use_state(move || {
            fields
                .iter()
                .map(|(k, v)| (k.clone(), as_text(v)))
                .collect::<BTreeMap<_, _>>()
        })
    };
    let local_error = use_state(|| None::<String>);
    let choices = ui.choices;
    let edit = |path: String| {
        let draft = draft.clone();
        move |value: String| {
            let mut next = (*draft).clone();
            next.insert(path.clone(), value);
            draft.set(next);
        }
    };
    let on_submit = {
        let draft = draft.clone();
        let local_error = local_error.clone();
        let scenario = props.scenario.clone();
        let on_apply = props.on_apply.clone();
        let fields = fields.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut next = scenario.clone();
            let mut problems = Vec::new();
            for (path, like) in &fields {
                let text = draft.get(path).cloned().unwrap_or_default();
                match parse_as(&text, like) {
                    Ok(v) => set_path(&mut next, path, v),
                    Err(e) => problems.push(format!("{}: {e}", label(path))),
                }
            }
            if problems.is_empty() {
                local_error.set(None);
                on_apply.emit(next);
            } else {
                local_error.set(Some(problems.join("; ")));
            }
        })
    };
    let seed = props.scenario.get("seed").map(as_text).unwrap_or_default();
    let error = (*local_error).clone().or_else(|| props.error.clone());
    html! {
        <details class="panel scenario">
            <summary>
                <h2>{ "Scenario" }</h2>
                <span class="muted small">{ format!("seed {seed} · edit and apply to start a new run") }</span>
            </summary>
            <form onsubmit={on_submit} data-testid="scenario-form">
                <div class="fields">
                    <>{ for fields.iter().map(|(path, like)| {
                        let id = format!("sc-{}", path.replace('.', "-"));
                        let value = draft.get(path).cloned().unwrap_or_default();
                        let set = edit(path.clone());
                        let input = if let Some(options) = choices(path) {
                            let onchange = Callback::from(move |e: Event| {
                                if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                                    set(s.value());
                                }
                            });
                            html! {
                                <select id={id.clone()} {onchange}>
                                    <>{ for options.iter().map(|o| html! {
                                        <option value={*o} selected={value == *o}>{ label(o) }</option>
                                    }) }</>
                                    if !options.contains(&value.as_str()) {
                                        <option value={value.clone()} selected=true>{ value.clone() }</option>
                                    }
                                </select>
                            }
                        } else if matches!(like, Value::Bool(_)) {
                            let checked = value == "true";
                            let onchange = Callback::from(move |e: Event| {
                                if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                                    set(i.checked().to_string());
                                }
                            });
                            html! { <input id={id.clone()} type="checkbox" {checked} {onchange} /> }
                        } else if matches!(like, Value::String(s) if s.len() > 60 || s.contains('\n'))
                            || path.contains("script")
                        {
                            let oninput = Callback::from(move |e: InputEvent| {
                                if let Some(t) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                                    set(t.value());
                                }
                            });
                            html! { <textarea id={id.clone()} rows="6" spellcheck="false" {value} {oninput} /> }
                        } else {
                            let numeric = matches!(like, Value::Number(_));
                            let oninput = Callback::from(move |e: InputEvent| {
                                if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                                    set(i.value());
                                }
                            });
                            html! {
                                <input id={id.clone()} type="text" {value} {oninput}
                                    inputmode={numeric.then_some("decimal")}
                                    placeholder={like.is_null().then_some("default")} />
                            }
                        };
                        html! {
                            <div class="field">
                                <label for={id}>{ label(path) }</label>
                                { input }
                            </div>
                        }
                    }) }</>
                </div>
                if let Some(e) = error {
                    <p class="form-error" role="alert">{ e }</p>
                }
                <div class="form-actions">
                    <button type="submit" class="primary" data-testid="apply-scenario">{ "Apply: new run" }</button>
                </div>
            </form>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_round_trip_through_text() {
        let scenario = json!({
            "floors": 10, "seed": 7, "traffic": {"pattern": "up_peak", "matrix": [[0, 1], [1, 0]]},
            "capacities": [8, 12], "served": [{"car": 0, "floors": "0,10-19"}]
        });
        let fields = leaves(&scenario, &["seed"]);
        assert_eq!(fields[0].0, "seed");
        let mut back = scenario.clone();
        for (path, like) in &fields {
            let v = parse_as(&as_text(like), like).unwrap_or(Value::Null);
            set_path(&mut back, path, v);
        }
        assert_eq!(back, scenario);
        assert!(parse_as("ten", &json!(1)).is_err());
    }
}
