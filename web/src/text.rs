//! Turning numbers and names into the words and colours the page shows.

/// A duration in milliseconds as a person reads it: `850 ms`, `12.3 s`, `4m 05s`.
pub fn duration(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{}m {:02}s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{}h {:02}m", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

/// A metric value: durations for names ending in `_ms`, plain numbers otherwise.
pub fn metric_value(name: &str, v: u64) -> String {
    if name.ends_with("_ms") {
        duration(v)
    } else {
        v.to_string()
    }
}

/// A snake_case name as a label, with its unit pulled out wherever it sits:
/// `door_open_ms` becomes `Door open (ms)`, `alight_ms_max` becomes `Alight max (ms)`.
pub fn label(name: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    let mut unit = None;
    let tokens: Vec<&str> = name.split(['_', '.']).collect();
    let mut i = 0;
    while i < tokens.len() {
        let next = tokens.get(i + 1).copied();
        let found = match (tokens[i], next) {
            ("mm", Some("s")) => Some(("mm/s", 2)),
            ("mm", Some("s2")) => Some(("mm/s²", 2)),
            ("mm", _) => Some(("mm", 1)),
            ("ms", _) => Some(("ms", 1)),
            ("kg", _) => Some(("kg", 1)),
            _ => None,
        };
        match found {
            Some((u, used)) if unit.is_none() && i > 0 => {
                unit = Some(u);
                i += used;
            }
            _ => {
                words.push(tokens[i]);
                i += 1;
            }
        }
    }
    // Acronyms stay in capitals.
    let words: Vec<&str> = words
        .into_iter()
        .map(|w| if w == "eta" { "ETA" } else { w })
        .collect();
    let mut text = words.join(" ");
    if let Some(first) = text.get(..1) {
        let upper = first.to_uppercase();
        text.replace_range(..1, &upper);
    }
    match unit {
        Some(u) => format!("{text} ({u})"),
        None => text,
    }
}

/// A metric's name as a label; durations drop their unit because their values carry one.
pub fn metric_label(name: &str) -> String {
    label(name.strip_suffix("_ms").unwrap_or(name))
}

/// A hue in degrees for a floor, spread over the building so neighbours differ.
pub fn floor_hue(floor: u32, floors: u32) -> f64 {
    let n = floors.max(2) as f64;
    (floor as f64 / n) * 300.0
}

/// A CSS colour for a passenger heading to `floor`.
pub fn floor_colour(floor: u32, floors: u32) -> String {
    format!("hsl({:.0} 70% 45%)", floor_hue(floor, floors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_labels_read_well() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_345), "12.3 s");
        assert_eq!(duration(245_000), "4m 05s");
        assert_eq!(label("door_open_ms"), "Door open (ms)");
        assert_eq!(label("speed_mm_s"), "Speed (mm/s)");
        assert_eq!(label("traffic.per_hour"), "Traffic per hour");
        assert_eq!(label("floors"), "Floors");
        assert_eq!(label("alight_ms_max"), "Alight max (ms)");
        assert_eq!(label("accel_mm_s2"), "Accel (mm/s²)");
        assert_eq!(label("weight_kg_min"), "Weight min (kg)");
    }
}
