//! The operations the flows need from a shop platform, independent of any one platform.

/// One call a flow asks of a platform.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Read an order.
    OrderGet {
        /// The platform's order id.
        order_id: String,
    },
    /// List orders waiting for payment.
    UnpaidOrders {
        /// At most this many.
        limit: u32,
    },
    /// Read a refund / after-sales request.
    RefundGet {
        /// The platform's refund id.
        refund_id: String,
        /// The order, where the platform needs it (Pinduoduo).
        order_id: Option<String>,
    },
    /// Agree to refund (without goods coming back).
    RefundAgree {
        /// The refund id (Shopify: unused, the order is refunded).
        refund_id: String,
        /// The order.
        order_id: Option<String>,
        /// The amount in fen, where the platform needs it.
        amount_fen: Option<i64>,
    },
    /// Refuse a refund.
    RefundRefuse {
        /// The refund id.
        refund_id: String,
        /// The order.
        order_id: Option<String>,
        /// Why, shown to the buyer.
        reason: String,
    },
    /// Agree to a return, giving the address the goods go back to.
    ReturnAgree {
        /// The refund / return id.
        refund_id: String,
        /// The order.
        order_id: Option<String>,
        /// The return address id.
        address_id: String,
    },
    /// Refuse a return.
    ReturnRefuse {
        /// The refund / return id.
        refund_id: String,
        /// The order.
        order_id: Option<String>,
        /// Why, shown to the buyer.
        reason: String,
    },
    /// The shop's return addresses.
    ReturnAddresses,
    /// Invoice requests waiting for the shop to issue them.
    InvoiceRequests {
        /// At most this many.
        limit: u32,
    },
    /// Send the buyer of an order a message.
    MessageSend {
        /// The order whose buyer gets it.
        order_id: String,
        /// The text.
        text: String,
    },
    /// Upload an issued e-invoice for an order.
    InvoiceUpload(Invoice),
    /// Exchange the refresh token for a new access token.
    RefreshToken {
        /// The current refresh token.
        refresh_token: String,
    },
}

impl Operation {
    /// Whether the operation changes something on the platform.
    pub fn changes_state(&self) -> bool {
        !matches!(
            self,
            Operation::OrderGet { .. }
                | Operation::UnpaidOrders { .. }
                | Operation::RefundGet { .. }
                | Operation::ReturnAddresses
                | Operation::InvoiceRequests { .. }
        )
    }

    /// A short name for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::OrderGet { .. } => "order.get",
            Operation::UnpaidOrders { .. } => "orders.unpaid",
            Operation::RefundGet { .. } => "refund.get",
            Operation::RefundAgree { .. } => "refund.agree",
            Operation::RefundRefuse { .. } => "refund.refuse",
            Operation::ReturnAgree { .. } => "return.agree",
            Operation::ReturnRefuse { .. } => "return.refuse",
            Operation::ReturnAddresses => "return.addresses",
            Operation::InvoiceRequests { .. } => "invoice.requests",
            Operation::MessageSend { .. } => "message.send",
            Operation::InvoiceUpload(_) => "invoice.upload",
            Operation::RefreshToken { .. } => "token.refresh",
        }
    }
}

/// Who an invoice is made out to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerKind {
    /// A person (no tax id).
    Person,
    /// A company (tax id required).
    Company,
}

/// An issued e-invoice to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    /// The order it is for.
    pub order_id: String,
    /// The 20-digit invoice number.
    pub number: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issue_date: String,
    /// Amount before tax, fen.
    pub amount_fen: i64,
    /// Tax, fen.
    pub tax_fen: i64,
    /// Person or company.
    pub payer_kind: PayerKind,
    /// The buyer's name on the invoice.
    pub payer_name: String,
    /// The buyer's taxpayer id (companies).
    pub payer_tax_id: Option<String>,
    /// The PDF.
    pub pdf: Vec<u8>,
}
