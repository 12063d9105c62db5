//! The fault palette: buttons that inject a lab's faults into the run, per target (a car, a
//! node) and globally (a fire alarm, a partition).

use serde_json::Value;
use yew::prelude::*;

/// One injectable fault: a button that sends a command.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// A stable slug for the button's `data-testid` (`fault-<id>`).
    pub id: &'static str,
    pub label: String,
    pub command: Value,
    /// For toggles: whether the fault is on now.
    pub pressed: Option<bool>,
    /// What the fault does, shown on hover.
    pub hint: String,
}

impl Fault {
    pub fn new(id: &'static str, label: &str, command: Value) -> Fault {
        Fault {
            id,
            label: label.to_string(),
            command,
            pressed: None,
            hint: String::new(),
        }
    }

    pub fn pressed(mut self, on: bool) -> Fault {
        self.pressed = Some(on);
        self
    }

    pub fn hint(mut self, hint: &str) -> Fault {
        self.hint = hint.to_string();
        self
    }
}

/// Every fault a lab offers right now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Palette {
    /// What a target is called, e.g. "Car".
    pub target_noun: &'static str,
    /// Each target's name and its faults.
    pub targets: Vec<(String, Vec<Fault>)>,
    /// Faults that concern the whole system.
    pub global: Vec<Fault>,
}

#[derive(Properties, PartialEq)]
pub struct FaultsProps {
    pub palette: Palette,
    pub on_command: Callback<Value>,
}

fn fault_button(fault: &Fault, on_command: &Callback<Value>) -> Html {
    let command = fault.command.clone();
    let cb = on_command.clone();
    let onclick = Callback::from(move |_: MouseEvent| cb.emit(command.clone()));
    html! {
        <button class={classes!("fault", fault.pressed.unwrap_or(false).then_some("on"))}
            data-testid={format!("fault-{}", fault.id)} title={fault.hint.clone()}
            aria-pressed={fault.pressed.map(|p| if p { "true" } else { "false" })}
            {onclick}>
            { &fault.label }
        </button>
    }
}

#[function_component(FaultPalette)]
pub fn fault_palette(props: &FaultsProps) -> Html {
    let target = use_state_eq(|| 0usize);
    let p = &props.palette;
    if p.targets.is_empty() && p.global.is_empty() {
        return html! {};
    }
    let chosen = (*target).min(p.targets.len().saturating_sub(1));
    let on_target = {
        let target = target.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                target.set(select.value().parse().unwrap_or(0));
            }
        })
    };
    html! {
        <section class="panel faults" aria-labelledby="faults-title">
            <h2 id="faults-title">{ "Faults" }</h2>
            if !p.targets.is_empty() {
                <div class="fault-row">
                    <select data-testid="fault-target" aria-label={p.target_noun} onchange={on_target}>
                        <>{ for p.targets.iter().enumerate().map(|(i, (name, _))| html! {
                            <option value={i.to_string()} selected={i == chosen}>{ name }</option>
                        }) }</>
                    </select>
                    <>{ for p.targets.get(chosen).into_iter().flat_map(|(_, faults)| faults.iter())
                        .map(|f| fault_button(f, &props.on_command)) }</>
                </div>
            }
            if !p.global.is_empty() {
                <div class="fault-row">
                    <>{ for p.global.iter().map(|f| fault_button(f, &props.on_command)) }</>
                </div>
            }
        </section>
    }
}
