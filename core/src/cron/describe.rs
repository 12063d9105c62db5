//! A plain-language description of a cron expression, built from its parts as written:
//!
//! | expression | description |
//! |---|---|
//! | `0 9 * * 1-5` | At 09:00, Monday through Friday |
//! | `*/15 * * * *` | Every 15 minutes |
//! | `0 0 1,15 * 3` | At 00:00, on day 1 and 15 of the month, or on Wednesday |
//! | `0 12 * * 5L` | At 12:00, on the last Friday of the month |
//!
//! The time of day comes first (a short list of clock times when there are at most six, else
//! the minute, hour and second patterns), then the days, then the months.

use super::expr::{Field, Part, Schedule, MONTH_NAMES};

const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const ORDINALS: [&str; 6] = ["", "first", "second", "third", "fourth", "fifth"];

impl Schedule {
    /// "At 09:00, Monday through Friday".
    pub fn describe(&self) -> String {
        let mut out = self.describe_time();
        // One day of one month: "on 1 January".
        if let ([Part::Value(d)], [Part::Value(m)] | [Part::Range(m, _)], [Part::Any]) = (
            self.parts(Field::DayOfMonth),
            self.parts(Field::Month),
            self.parts(Field::DayOfWeek),
        ) {
            if self.months.count_ones() == 1 {
                return format!("{out}, on {d} {}", MONTH_NAMES[*m as usize - 1]);
            }
        }
        let days = self.describe_days();
        if !days.is_empty() {
            out += ", ";
            out += &days;
        }
        if !matches!(self.parts(Field::Month), [Part::Any]) {
            let months: Vec<u32> = (1..=12).filter(|m| self.months & (1 << m) != 0).collect();
            let names: Vec<&str> = months
                .iter()
                .map(|&m| MONTH_NAMES[m as usize - 1])
                .collect();
            out += ", in ";
            out += &runs(&months, &MONTH_NAMES, 1).unwrap_or_else(|| join_and(&names));
        }
        out
    }

    fn describe_time(&self) -> String {
        let secs = bits(self.seconds);
        let mins = bits(self.minutes);
        let hours = bits(u64::from(self.hours));
        let show_secs = self.has_seconds() && secs != [0];
        if secs.len() * mins.len() * hours.len() <= 6 {
            let mut times = Vec::new();
            for &h in &hours {
                for &m in &mins {
                    for &s in &secs {
                        times.push(if show_secs {
                            format!("{h:02}:{m:02}:{s:02}")
                        } else {
                            format!("{h:02}:{m:02}")
                        });
                    }
                }
            }
            let refs: Vec<&str> = times.iter().map(String::as_str).collect();
            return format!("At {}", join_and(&refs));
        }
        let mut phrase = String::new();
        if show_secs {
            phrase += &pattern(self.parts(Field::Second), &secs, 60, "second");
            phrase += " ";
        }
        let minute = pattern(self.parts(Field::Minute), &mins, 60, "minute");
        if show_secs && minute == "every minute" {
            phrase += "past every minute";
        } else if show_secs {
            phrase += "past ";
            phrase += &minute;
        } else {
            phrase += &minute;
        }
        if hours.len() < 24 {
            phrase += if minute.starts_with("every") {
                ", "
            } else {
                " past "
            };
            phrase += &pattern(self.parts(Field::Hour), &hours, 24, "hour");
        } else if !minute.starts_with("every") {
            phrase += " past every hour";
        }
        match phrase.strip_prefix("every") {
            Some(rest) => format!("Every{rest}"),
            None => format!("At {phrase}"),
        }
    }

    fn describe_days(&self) -> String {
        let dom = self.parts(Field::DayOfMonth);
        let dow = self.parts(Field::DayOfWeek);
        let dom_any = matches!(dom, [Part::Any]);
        let dow_any = matches!(dow, [Part::Any]);
        let dom_text = (!dom_any).then(|| describe_dom(dom, self.days));
        let dow_text = (!dow_any).then(|| describe_dow(dow, self.weekdays));
        match (dom_text, dow_text) {
            (None, None) => String::new(),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (Some(a), Some(b)) if self.dom_star || self.dow_star => {
                format!("{a}, if it is {}", b.strip_prefix("on ").unwrap_or(&b))
            }
            (Some(a), Some(b)) => format!("{a}, or {b}"),
        }
    }
}

/// The set bits of a mask, lowest first.
fn bits(mask: u64) -> Vec<u32> {
    (0..64).filter(|b| mask & (1 << b) != 0).collect()
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "every 5 minutes", "every minute", "minute 15 and 45", "hour 9 through 17".
fn pattern(parts: &[Part], values: &[u32], size: usize, unit: &str) -> String {
    if values.len() == size {
        return format!("every {unit}");
    }
    if let [Part::Step {
        first,
        step,
        from_star,
        last,
    }] = parts
    {
        let every = format!("every {step} {unit}s");
        return match (from_star, *first == 0 && *last as usize == size - 1) {
            (true, _) | (false, true) => every,
            _ => format!(
                "{every} from {unit} {first} through {}",
                values.last().copied().unwrap_or(*last)
            ),
        };
    }
    if let [Part::Range(a, b)] = parts {
        return format!("{unit} {a} through {b}");
    }
    let words: Vec<String> = values.iter().map(u32::to_string).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    format!("{unit} {}", join_and(&refs))
}

/// Names runs of three or more consecutive values as "a through b": `Monday through Friday`.
fn runs(values: &[u32], names: &[&str], base: u32) -> Option<String> {
    if values.len() < 3 {
        return None;
    }
    let mut chunks: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        let name = |v: u32| names[(v - base) as usize];
        if j - i >= 2 {
            chunks.push(format!("{} through {}", name(values[i]), name(values[j])));
        } else {
            for &v in &values[i..=j] {
                chunks.push(name(v).to_string());
            }
        }
        i = j + 1;
    }
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    Some(join_and(&refs))
}

fn describe_dom(parts: &[Part], days: u32) -> String {
    let mut phrases = Vec::new();
    let plain: Vec<u32> = (1..=31).filter(|d| days & (1 << d) != 0).collect();
    if !plain.is_empty() {
        let words: Vec<String> = plain.iter().map(u32::to_string).collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        phrases.push(match parts {
            [Part::Step {
                step,
                from_star: true,
                ..
            }] => format!("every {step} days of the month"),
            [Part::Range(a, b)] => format!("on day {a} through {b} of the month"),
            _ => format!("on day {} of the month", join_and(&refs)),
        });
    }
    for p in parts {
        match *p {
            Part::LastDay(0) => phrases.push("on the last day of the month".into()),
            Part::LastDay(n) => phrases.push(format!(
                "{n} day{} before the last day of the month",
                if n == 1 { "" } else { "s" }
            )),
            Part::LastWeekday => phrases.push("on the last weekday of the month".into()),
            Part::NearestWeekday(n) => {
                phrases.push(format!("on the weekday nearest day {n} of the month"))
            }
            _ => {}
        }
    }
    let refs: Vec<&str> = phrases.iter().map(String::as_str).collect();
    join_and(&refs)
}

fn describe_dow(parts: &[Part], weekdays: u8) -> String {
    let mut phrases = Vec::new();
    let plain: Vec<u32> = (0..7).filter(|d| weekdays & (1 << d) != 0).collect();
    if !plain.is_empty() {
        let names: Vec<&str> = plain.iter().map(|&d| DAY_NAMES[d as usize]).collect();
        let text = match parts {
            [Part::Range(..)] | [Part::Step { .. }] => {
                runs(&plain, &DAY_NAMES, 0).unwrap_or_else(|| join_and(&names))
            }
            _ => join_and(&names),
        };
        phrases.push(if plain.len() >= 3 {
            text
        } else {
            format!("on {text}")
        });
    }
    for p in parts {
        match *p {
            Part::LastOf(d) => phrases.push(format!(
                "on the last {} of the month",
                DAY_NAMES[d as usize]
            )),
            Part::Nth(d, n) => phrases.push(format!(
                "on the {} {} of the month",
                ORDINALS[n as usize], DAY_NAMES[d as usize]
            )),
            _ => {}
        }
    }
    let refs: Vec<&str> = phrases.iter().map(String::as_str).collect();
    join_and(&refs)
}
