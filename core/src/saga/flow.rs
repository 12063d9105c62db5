//! Flows as data: the services, their resource pools, the catalogue of local transactions
//! (actions) and the built-in flows.
//!
//! Every local transaction either moves an amount between two pools of one service, or sets
//! the status of an order. Pools belong to one resource, and moves never create or destroy
//! units, so "money is conserved" and "stock + reserved + shipped is constant" are sums over
//! pools:
//!
//! | resource | pools (service) |
//! |---|---|
//! | goods | `stock`, `reserved`, `shipped` (inventory) |
//! | money | `funds`, `held`, `merchant` (payment); `account_a`, `outgoing_a` (bank_a); `account_b`, `clearing_b` (bank_b) |
//! | seats | `seats`, `seats_sold` (flights) |
//! | rooms | `rooms`, `rooms_sold` (hotels) |
//!
//! `clearing_b` is bank B's liability account: it goes negative when B credits a transfer, so
//! the sum of money stays constant without B touching A's books.
//!
//! A flow is a list of steps in the usual saga classification:
//!
//! | kind | may fail | compensation | where |
//! |---|---|---|---|
//! | compensatable | yes | required | before the pivot |
//! | pivot | yes (the go/no-go point) | none | at most one |
//! | retriable | no: retried until it succeeds | none | after the pivot |

use serde::{Deserialize, Serialize};

/// The services of every flow. Each owns its pools and its order records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceName {
    Orders,
    Inventory,
    Payment,
    Flights,
    Hotels,
    BankA,
    BankB,
}

impl ServiceName {
    pub const ALL: [ServiceName; 7] = [
        ServiceName::Orders,
        ServiceName::Inventory,
        ServiceName::Payment,
        ServiceName::Flights,
        ServiceName::Hotels,
        ServiceName::BankA,
        ServiceName::BankB,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ServiceName::Orders => "orders",
            ServiceName::Inventory => "inventory",
            ServiceName::Payment => "payment",
            ServiceName::Flights => "flights",
            ServiceName::Hotels => "hotels",
            ServiceName::BankA => "bank_a",
            ServiceName::BankB => "bank_b",
        }
    }

    pub fn from_name(s: &str) -> Option<ServiceName> {
        ServiceName::ALL.into_iter().find(|n| n.name() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a pool holds; the sum of each resource's pools never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Goods,
    Money,
    Seats,
    Rooms,
}

impl Resource {
    pub const ALL: [Resource; 4] = [
        Resource::Goods,
        Resource::Money,
        Resource::Seats,
        Resource::Rooms,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::Goods => "goods",
            Resource::Money => "money",
            Resource::Seats => "seats",
            Resource::Rooms => "rooms",
        }
    }
}

/// One balance in one service's local state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pool {
    Stock,
    Reserved,
    Shipped,
    Funds,
    Held,
    Merchant,
    AccountA,
    OutgoingA,
    AccountB,
    ClearingB,
    Seats,
    SeatsSold,
    Rooms,
    RoomsSold,
}

impl Pool {
    pub const ALL: [Pool; 14] = [
        Pool::Stock,
        Pool::Reserved,
        Pool::Shipped,
        Pool::Funds,
        Pool::Held,
        Pool::Merchant,
        Pool::AccountA,
        Pool::OutgoingA,
        Pool::AccountB,
        Pool::ClearingB,
        Pool::Seats,
        Pool::SeatsSold,
        Pool::Rooms,
        Pool::RoomsSold,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Pool::Stock => "stock",
            Pool::Reserved => "reserved",
            Pool::Shipped => "shipped",
            Pool::Funds => "funds",
            Pool::Held => "held",
            Pool::Merchant => "merchant",
            Pool::AccountA => "account_a",
            Pool::OutgoingA => "outgoing_a",
            Pool::AccountB => "account_b",
            Pool::ClearingB => "clearing_b",
            Pool::Seats => "seats",
            Pool::SeatsSold => "seats_sold",
            Pool::Rooms => "rooms",
            Pool::RoomsSold => "rooms_sold",
        }
    }

    pub fn service(self) -> ServiceName {
        match self {
            Pool::Stock | Pool::Reserved | Pool::Shipped => ServiceName::Inventory,
            Pool::Funds | Pool::Held | Pool::Merchant => ServiceName::Payment,
            Pool::AccountA | Pool::OutgoingA => ServiceName::BankA,
            Pool::AccountB | Pool::ClearingB => ServiceName::BankB,
            Pool::Seats | Pool::SeatsSold => ServiceName::Flights,
            Pool::Rooms | Pool::RoomsSold => ServiceName::Hotels,
        }
    }

    pub fn resource(self) -> Resource {
        match self {
            Pool::Stock | Pool::Reserved | Pool::Shipped => Resource::Goods,
            Pool::Seats | Pool::SeatsSold => Resource::Seats,
            Pool::Rooms | Pool::RoomsSold => Resource::Rooms,
            _ => Resource::Money,
        }
    }

    /// Whether a move out of this pool is refused when it would go below zero. Bank B's
    /// clearing account is a liability and may go negative.
    pub fn must_cover(self) -> bool {
        self != Pool::ClearingB
    }
}

/// How big a move is, from the saga's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// The order's quantity of goods.
    Quantity,
    /// The order's price.
    Price,
    /// One seat or room.
    One,
}

/// The status an order record takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub fn name(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// What a local transaction does to its service's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Move {
        from: Pool,
        to: Pool,
        amount: Amount,
    },
    Order(OrderStatus),
}

/// The catalogue of local transactions a step or compensation may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    CreateOrder,
    CancelOrder,
    ConfirmOrder,
    CompleteOrder,
    ReserveInventory,
    ReleaseInventory,
    CreateShipment,
    CancelShipment,
    /// Puts a hold on the customer's funds (authorization).
    Authorize,
    /// Releases a hold.
    Void,
    /// Turns a hold into a payment to the merchant.
    Capture,
    /// Takes the customer's funds at once.
    Charge,
    /// Gives a charge back.
    Refund,
    BookFlight,
    CancelFlight,
    BookHotel,
    CancelHotel,
    DebitA,
    RefundA,
    CreditB,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Action::CreateOrder,
        Action::CancelOrder,
        Action::ConfirmOrder,
        Action::CompleteOrder,
        Action::ReserveInventory,
        Action::ReleaseInventory,
        Action::CreateShipment,
        Action::CancelShipment,
        Action::Authorize,
        Action::Void,
        Action::Capture,
        Action::Charge,
        Action::Refund,
        Action::BookFlight,
        Action::CancelFlight,
        Action::BookHotel,
        Action::CancelHotel,
        Action::DebitA,
        Action::RefundA,
        Action::CreditB,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::CreateOrder => "create_order",
            Action::CancelOrder => "cancel_order",
            Action::ConfirmOrder => "confirm_order",
            Action::CompleteOrder => "complete_order",
            Action::ReserveInventory => "reserve_inventory",
            Action::ReleaseInventory => "release_inventory",
            Action::CreateShipment => "create_shipment",
            Action::CancelShipment => "cancel_shipment",
            Action::Authorize => "authorize",
            Action::Void => "void",
            Action::Capture => "capture",
            Action::Charge => "charge",
            Action::Refund => "refund",
            Action::BookFlight => "book_flight",
            Action::CancelFlight => "cancel_flight",
            Action::BookHotel => "book_hotel",
            Action::CancelHotel => "cancel_hotel",
            Action::DebitA => "debit_a",
            Action::RefundA => "refund_a",
            Action::CreditB => "credit_b",
        }
    }

    pub fn effect(self) -> Effect {
        use Amount::*;
        use Pool::*;
        let mv = |from, to, amount| Effect::Move { from, to, amount };
        match self {
            Action::CreateOrder => Effect::Order(OrderStatus::Pending),
            Action::CancelOrder => Effect::Order(OrderStatus::Cancelled),
            Action::ConfirmOrder => Effect::Order(OrderStatus::Confirmed),
            Action::CompleteOrder => Effect::Order(OrderStatus::Completed),
            Action::ReserveInventory => mv(Stock, Reserved, Quantity),
            Action::ReleaseInventory => mv(Reserved, Stock, Quantity),
            Action::CreateShipment => mv(Reserved, Shipped, Quantity),
            Action::CancelShipment => mv(Shipped, Reserved, Quantity),
            Action::Authorize => mv(Funds, Held, Price),
            Action::Void => mv(Held, Funds, Price),
            Action::Capture => mv(Held, Merchant, Price),
            Action::Charge => mv(Funds, Merchant, Price),
            Action::Refund => mv(Merchant, Funds, Price),
            Action::BookFlight => mv(Seats, SeatsSold, One),
            Action::CancelFlight => mv(SeatsSold, Seats, One),
            Action::BookHotel => mv(Rooms, RoomsSold, One),
            Action::CancelHotel => mv(RoomsSold, Rooms, One),
            Action::DebitA => mv(AccountA, OutgoingA, Price),
            Action::RefundA => mv(OutgoingA, AccountA, Price),
            Action::CreditB => mv(ClearingB, AccountB, Price),
        }
    }

    /// The service whose local transaction this is.
    pub fn service(self) -> ServiceName {
        match self.effect() {
            Effect::Move { from, .. } => from.service(),
            Effect::Order(_) => ServiceName::Orders,
        }
    }

    /// Whether applying it twice takes a customer's money twice.
    pub fn takes_money(self) -> bool {
        matches!(
            self.effect(),
            Effect::Move {
                from: Pool::Funds | Pool::AccountA,
                ..
            }
        )
    }

    /// Whether this action reverses `forward`'s effect (same pools, the other way).
    pub fn reverses(self, forward: Action) -> bool {
        match (self.effect(), forward.effect()) {
            (
                Effect::Move { from, to, amount },
                Effect::Move {
                    from: f,
                    to: t,
                    amount: a,
                },
            ) => from == t && to == f && amount == a,
            (Effect::Order(OrderStatus::Cancelled), Effect::Order(s)) => {
                s != OrderStatus::Cancelled
            }
            _ => false,
        }
    }
}

/// A step's place in the saga.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    #[default]
    Compensatable,
    Pivot,
    Retriable,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Compensatable => "compensatable",
            StepKind::Pivot => "pivot",
            StepKind::Retriable => "retriable",
        }
    }
}

/// One step of a flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The step's name in logs and fault injection, e.g. `"authorize_payment"`.
    pub name: String,
    pub action: Action,
    #[serde(default)]
    pub compensation: Option<Action>,
    #[serde(default)]
    pub kind: StepKind,
}

impl Step {
    pub fn service(&self) -> ServiceName {
        self.action.service()
    }
}

/// A named list of steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub name: String,
    pub steps: Vec<Step>,
}

/// The most steps a flow may have.
pub const MAX_STEPS: usize = 12;

impl Flow {
    /// Explains what is wrong with a flow: compensatable steps first (each with a
    /// compensation on the same service that reverses it), at most one pivot, retriable steps
    /// last.
    pub fn validate(&self) -> Result<(), String> {
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(format!(
                "flow {:?}: a flow has 1 to {MAX_STEPS} steps, not {}",
                self.name,
                self.steps.len()
            ));
        }
        let mut stage = StepKind::Compensatable;
        for (i, s) in self.steps.iter().enumerate() {
            if s.name.is_empty() || s.name.len() > 40 {
                return Err(format!("flow step {}: a name of 1 to 40 characters", i + 1));
            }
            if self.steps[..i].iter().any(|p| p.name == s.name) {
                return Err(format!(
                    "flow step {}: the name {:?} is used twice",
                    i + 1,
                    s.name
                ));
            }
            match (stage, s.kind) {
                (StepKind::Compensatable, _) => stage = s.kind,
                (StepKind::Pivot, StepKind::Retriable) => stage = StepKind::Retriable,
                (StepKind::Retriable, StepKind::Retriable) => {}
                (_, k) => {
                    return Err(format!(
                        "flow step {} ({}): a {} step cannot follow the pivot or a retriable step",
                        i + 1,
                        s.name,
                        k.name()
                    ))
                }
            }
            match (s.kind, s.compensation) {
                (StepKind::Compensatable, None) => {
                    return Err(format!(
                        "flow step {} ({}): a compensatable step needs a compensation",
                        i + 1,
                        s.name
                    ))
                }
                (StepKind::Compensatable, Some(c)) if !c.reverses(s.action) => {
                    return Err(format!(
                        "flow step {} ({}): {} does not undo {}",
                        i + 1,
                        s.name,
                        c.name(),
                        s.action.name()
                    ))
                }
                (StepKind::Pivot | StepKind::Retriable, Some(_)) => {
                    return Err(format!(
                        "flow step {} ({}): only compensatable steps have a compensation",
                        i + 1,
                        s.name
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The built-in flow with this name.
    pub fn builtin(name: &str) -> Option<Flow> {
        use Action::*;
        use StepKind::*;
        let step = |name: &str, action, compensation, kind| Step {
            name: name.to_string(),
            action,
            compensation,
            kind,
        };
        let steps = match name {
            // The seeds' order saga (004 §2): every step before completion can be undone.
            "order" => vec![
                step(
                    "create_order",
                    CreateOrder,
                    Some(CancelOrder),
                    Compensatable,
                ),
                step(
                    "reserve_inventory",
                    ReserveInventory,
                    Some(ReleaseInventory),
                    Compensatable,
                ),
                step("authorize_payment", Authorize, Some(Void), Compensatable),
                step(
                    "create_shipment",
                    CreateShipment,
                    Some(CancelShipment),
                    Compensatable,
                ),
                step("complete_order", CompleteOrder, None, Pivot),
            ],
            // 001 Q83 and Q84: flight, hotel, then payment as the point of no return.
            "travel" => vec![
                step("book_flight", BookFlight, Some(CancelFlight), Compensatable),
                step("book_hotel", BookHotel, Some(CancelHotel), Compensatable),
                step("charge_payment", Charge, None, Pivot),
            ],
            // 001 Q84: debit A, credit B; if the credit fails, refund A.
            "bank_transfer" => vec![
                step("debit_a", DebitA, Some(RefundA), Compensatable),
                step("credit_b", CreditB, None, Pivot),
            ],
            // 004's resilient payment workflow: authorize, confirm (the pivot), then capture
            // and ship, which are retried until they succeed.
            "payment" => vec![
                step(
                    "create_order",
                    CreateOrder,
                    Some(CancelOrder),
                    Compensatable,
                ),
                step(
                    "reserve_inventory",
                    ReserveInventory,
                    Some(ReleaseInventory),
                    Compensatable,
                ),
                step("pre_authorize", Authorize, Some(Void), Compensatable),
                step("confirm_order", ConfirmOrder, None, Pivot),
                step("capture_payment", Capture, None, Retriable),
                step("ship", CreateShipment, None, Retriable),
            ],
            _ => return None,
        };
        Some(Flow {
            name: name.to_string(),
            steps,
        })
    }
}

/// The names of the built-in flows.
pub const FLOWS: [&str; 4] = ["order", "travel", "bank_transfer", "payment"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid_and_compensations_undo_their_steps() {
        for name in FLOWS {
            let f = Flow::builtin(name).expect("builtin");
            assert_eq!(f.validate(), Ok(()), "{name}");
        }
    }

    #[test]
    fn a_compensatable_step_after_the_pivot_is_refused() {
        let mut f = Flow::builtin("travel").expect("travel");
        f.steps.swap(1, 2);
        let err = f.validate().unwrap_err();
        assert!(err.contains("cannot follow the pivot"), "{err}");
        let mut g = Flow::builtin("travel").expect("travel");
        g.steps[0].compensation = Some(Action::Refund);
        assert!(g.validate().unwrap_err().contains("does not undo"));
    }
}
