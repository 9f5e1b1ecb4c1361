//! The console's two languages: Simplified Chinese first, English on request (`?lang=en`,
//! remembered in a `lang` cookie). Every label the pages show is a key of [`TEXTS`]; a test
//! checks that every key the console's source uses is there.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The language a page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh-CN` or `en`, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language's `?lang=` value and its name in itself.
    pub fn other(self) -> (&'static str, &'static str) {
        match self {
            Lang::Zh => ("en", "English"),
            Lang::En => ("zh", "中文"),
        }
    }

    /// Reads `zh`/`en` (`zh-CN`, `en-US`, … too).
    pub fn parse(text: &str) -> Option<Lang> {
        let t = text.trim().to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Lang::Zh)
        } else if t.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The label for `key` in this language (the key itself when the table lacks it, which
    /// the test below prevents).
    pub fn t(self, key: &'static str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

/// The `lang` query parameter of a request, if it names a language.
fn from_query(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// The `lang` cookie of a request, if it names a language.
fn from_cookie(parts: &Parts) -> Option<Lang> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        Ok(from_query(parts.uri.query())
            .or_else(|| from_cookie(parts))
            .unwrap_or_default())
    }
}

/// Middleware: a request with `?lang=` gets the choice remembered in a cookie for a year.
pub async fn remember(request: Request, next: Next) -> Response {
    let chosen = from_query(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let value = match lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "lang={value}; Path=/; Max-Age=31536000; SameSite=Lax"
        )) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Every label: key, Chinese, English.
pub const TEXTS: &[(&str, &str, &str)] = &[
    // ── frame ──
    ("app", "shopflow 控制台", "shopflow console"),
    ("nav.runs", "运行", "Runs"),
    ("nav.flows", "流程", "Flows"),
    ("nav.kpi", "指标看板", "KPI board"),
    ("nav.finance", "财务复核", "Finance review"),
    ("nav.returns", "退货复核", "Returns review"),
    ("nav.decisions", "决定记录", "Decisions"),
    ("logout", "退出登录", "Log out"),
    ("role.admin", "管理员", "admin"),
    ("role.ops", "运营", "ops"),
    ("role.finance", "财务", "finance"),
    ("role.viewer", "只读", "viewer"),
    (
        "masked.note",
        "你的角色看不到个人信息：手机号、地址和税号已遮盖。",
        "Your role does not see personal data: phone numbers, addresses and tax ids are masked.",
    ),
    // ── login ──
    ("login.title", "登录", "Log in"),
    ("login.name", "用户名", "User name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    (
        "login.invalid",
        "用户名或密码不正确。",
        "The user name or password is wrong.",
    ),
    (
        "login.locked",
        "登录失败次数过多，账户已暂时锁定，请稍后再试。锁定至：",
        "Too many failed logins: the account is locked for a while. Locked until:",
    ),
    (
        "login.failed",
        "暂时无法登录，请稍后再试。",
        "Logging in is not possible right now; try again later.",
    ),
    // ── errors ──
    ("error.title", "出错了", "Something went wrong"),
    (
        "error.forbidden",
        "你的角色不能执行此操作。",
        "Your role may not do this.",
    ),
    (
        "error.csrf",
        "表单已过期或不是从本站提交的，请刷新页面后重试。",
        "The form has expired or was not sent from this site; reload the page and try again.",
    ),
    (
        "error.not_found",
        "找不到此页面或记录。",
        "There is no such page or record.",
    ),
    ("error.back", "返回控制台", "Back to the console"),
    (
        "error.no_desk",
        "此 shopflow 没有配置服务台，没有复核任务。",
        "This shopflow has no service desk, so there are no review tasks.",
    ),
    (
        "error.no_artifacts",
        "此 shopflow 没有数据目录，没有附件。",
        "This shopflow has no data directory, so there are no artifacts.",
    ),
    // ── common ──
    ("common.filter", "筛选", "Filter"),
    ("common.reset", "清除", "Clear"),
    ("common.all", "全部", "All"),
    ("common.none", "无", "None"),
    ("common.yes", "是", "yes"),
    ("common.no", "否", "no"),
    ("common.id", "编号", "Id"),
    ("common.flow", "流程", "Flow"),
    ("common.version", "版本", "Version"),
    ("common.status", "状态", "Status"),
    ("common.created", "创建时间", "Created"),
    ("common.updated", "更新时间", "Updated"),
    ("common.input", "输入", "Input"),
    ("common.output", "输出", "Output"),
    ("common.error", "错误", "Error"),
    ("common.details", "详情", "Details"),
    ("common.empty", "没有记录。", "Nothing here."),
    ("common.shown", "显示最新的", "Showing the newest"),
    (
        "common.time_note",
        "时间均为店铺时间（UTC+8）。",
        "Times are shop time (UTC+8).",
    ),
    // ── run statuses ──
    ("status.pending", "待开始", "pending"),
    ("status.running", "运行中", "running"),
    ("status.waiting", "等待中", "waiting"),
    ("status.suspended", "已暂停", "suspended"),
    ("status.cancelled", "已取消", "cancelled"),
    ("status.faulted", "失败", "faulted"),
    ("status.completed", "已完成", "completed"),
    // ── runs list ──
    ("runs.title", "运行列表", "Runs"),
    ("runs.search", "搜索", "Search"),
    (
        "runs.search_hint",
        "运行编号，或输入中的订单号/退款号/工单号",
        "Run id, or an order/refund/ticket id in the input",
    ),
    ("runs.from", "起始日期", "From"),
    ("runs.to", "结束日期", "To"),
    ("runs.subject", "涉及", "About"),
    // ── run detail ──
    ("run.title", "运行", "Run"),
    (
        "run.paused",
        "日志写入失败，运行已暂停并会自动重试：",
        "The journal failed; the run is paused and retried automatically:",
    ),
    ("run.parent", "父运行", "Parent run"),
    ("run.retry_of", "这是以下运行的重试：", "This run retries"),
    ("run.retries", "此运行的重试：", "Retries of this run:"),
    ("run.actions", "操作", "Actions"),
    ("run.retry", "重试", "Retry"),
    (
        "run.retry_note",
        "重试会用同一流程版本和同一输入启动一个新运行，并与本运行关联；本运行保持不变。",
        "Retry starts a new run of the same flow version with the same input, linked to this one; this run stays as it is.",
    ),
    (
        "run.retry_confirm",
        "用相同输入启动一个新运行？",
        "Start a new run with the same input?",
    ),
    ("run.cancel", "取消", "Cancel"),
    (
        "run.cancel_confirm",
        "确定取消此运行？取消后不能恢复。",
        "Cancel this run? It cannot be resumed afterwards.",
    ),
    ("run.suspend", "暂停", "Suspend"),
    ("run.resume", "继续", "Resume"),
    (
        "run.no_actions",
        "此运行当前没有可用的操作。",
        "No action applies to this run now.",
    ),
    (
        "run.graph",
        "流程图与当前位置",
        "Flow graph and current position",
    ),
    (
        "run.graph_legend",
        "黄色：运行当前所在；绿色：已经过的步骤。",
        "Yellow: where the run is now; green: steps it has passed.",
    ),
    (
        "run.graph_unavailable",
        "无法绘制流程图（需要 Graphviz 的 dot 命令）。Mermaid 源码：",
        "The graph cannot be drawn (Graphviz's dot is needed). Mermaid source:",
    ),
    ("run.timeline", "步骤时间线", "Timeline of journaled steps"),
    (
        "run.timeline_note",
        "每一步来自运行日志；调用参数由日志重放算出，密钥显示为 [secret]，从不记录。",
        "Each step comes from the run's journal; call arguments are recomputed by replaying it; secrets show as [secret] and are never journaled.",
    ),
    ("run.step", "步骤", "Step"),
    ("run.kind", "类型", "Kind"),
    ("run.function", "函数", "Function"),
    ("run.arguments", "参数", "Arguments"),
    ("run.result", "结果", "Result"),
    ("run.when", "时间", "When"),
    ("run.due", "到期", "due"),
    (
        "run.timeline_error",
        "无法重放此运行的日志：",
        "This run's journal cannot be replayed:",
    ),
    ("run.artifacts", "附件", "Artifacts"),
    (
        "run.artifacts_hidden",
        "附件可能含个人信息，你的角色不能查看。",
        "Artifacts may show personal data; your role cannot open them.",
    ),
    ("step.completed", "完成", "completed"),
    ("step.faulted", "出错", "faulted"),
    ("step.skipped", "跳过", "skipped"),
    ("step.cancelled", "已取消", "cancelled"),
    ("step.in_progress", "进行中", "in progress"),
    ("op.call", "调用", "call"),
    ("op.run", "子流程", "child flow"),
    ("op.emit", "发出事件", "emit"),
    ("op.listen", "等待事件", "listen"),
    ("op.wait", "计时器", "timer"),
    ("op.compute", "计算", "compute"),
    // ── flows ──
    ("flows.title", "流程", "Flows"),
    ("flows.deploy", "部署新版本", "Deploy a version"),
    ("flows.latest", "最新", "latest"),
    ("flows.deployed", "部署时间", "Deployed"),
    ("flows.schedule", "计划", "Schedule"),
    ("flows.schedule_on", "已开启", "on"),
    ("flows.schedule_off", "已关闭", "off"),
    ("flows.turn_on", "开启", "Turn on"),
    ("flows.turn_off", "关闭", "Turn off"),
    ("flows.versions", "版本", "Versions"),
    ("flows.source", "源码", "Source"),
    ("flows.diff", "版本对比", "Compare versions"),
    ("flows.diff_from", "旧版本", "From"),
    ("flows.diff_to", "新版本", "To"),
    ("flows.compare", "对比", "Compare"),
    (
        "flows.no_diff",
        "两个版本内容相同。",
        "The two versions are the same.",
    ),
    ("flows.graph", "流程图", "Graph"),
    ("flows.runs", "查看运行", "See runs"),
    ("deploy.title", "部署流程", "Deploy a flow"),
    ("deploy.paste", "粘贴 YAML", "Paste the YAML"),
    ("deploy.upload", "或上传文件", "or upload a file"),
    ("deploy.submit", "校验并部署", "Validate and deploy"),
    (
        "deploy.invalid",
        "流程未通过校验，未部署。问题标在对应行：",
        "The flow is not valid and was not deployed. Problems are marked at their lines:",
    ),
    ("deploy.deployed", "已部署：", "Deployed:"),
    (
        "deploy.unchanged",
        "此版本已部署，内容相同，无变化：",
        "This version is deployed with the same text; nothing changed:",
    ),
    ("deploy.conflict", "无法部署：", "Not deployed:"),
    (
        "deploy.empty",
        "请粘贴 YAML 或选择文件。",
        "Paste the YAML or choose a file.",
    ),
    (
        "deploy.not_utf8",
        "文件不是 UTF-8 文本。",
        "The file is not UTF-8 text.",
    ),
    ("deploy.line", "行", "line"),
    // ── KPI ──
    ("kpi.title", "指标看板", "KPI board"),
    ("kpi.days", "天数", "Days"),
    ("kpi.queues", "当前队列", "Queues now"),
    ("kpi.queue", "队列", "Queue"),
    ("kpi.open_tasks", "待决定任务", "Tasks waiting"),
    ("kpi.open_tickets", "未解决工单", "Open tickets"),
    ("kpi.waiting_tickets", "排队工单", "Tickets queued"),
    ("kpi.day", "日期", "Day"),
    ("kpi.runs", "运行数", "Runs"),
    ("kpi.automation", "自动化率", "Automated"),
    ("kpi.humans", "转人工", "To a person"),
    ("kpi.p50", "处理时长 p50", "Handling p50"),
    ("kpi.p99", "处理时长 p99", "Handling p99"),
    ("kpi.sla", "SLA 超时", "SLA breaches"),
    ("kpi.conversion", "催付 → 付款", "Reminder → payment"),
    ("kpi.recovered", "挽回金额", "Recovered"),
    ("kpi.in_progress", "进行中", "In progress"),
    ("kpi.faulted", "失败", "Faulted"),
    ("kpi.all_days", "所选天数合计", "All days shown"),
    (
        "kpi.note",
        "处理时长只算已完成的运行，从运行开始到结束。自动化率：无人参与就得到结果的运行占比。",
        "Handling time counts completed runs, from start to end. Automated: runs that reached their outcome without a person.",
    ),
    // ── desk ──
    (
        "tasks.finance_title",
        "财务复核：待决定的发票",
        "Finance review: invoices waiting for a decision",
    ),
    (
        "tasks.returns_title",
        "退货复核：待决定的退货/退款",
        "Returns review: returns and refunds waiting for a decision",
    ),
    ("tasks.open", "待决定", "open"),
    ("tasks.decided", "已决定", "decided"),
    ("tasks.task", "任务", "Task"),
    ("tasks.subject", "订单/退款", "Order / refund"),
    ("tasks.reasons", "需要人工的原因", "Why a person must look"),
    ("tasks.reminders", "提醒次数", "Reminders"),
    ("tasks.opened", "创建时间", "Opened"),
    ("tasks.decision", "决定", "Decision"),
    ("tasks.decided_by", "决定人", "Decided by"),
    ("tasks.data", "任务数据", "Task data"),
    ("tasks.run", "等待中的运行", "The waiting run"),
    (
        "tasks.run_outcome",
        "运行进度与结果",
        "The run's progress and outcome",
    ),
    (
        "tasks.run_refresh",
        "运行仍在进行，本页每 2 秒刷新一次。",
        "The run is still going; this page reloads every 2 seconds.",
    ),
    ("tasks.audit", "审计记录", "Audit log"),
    ("tasks.action", "动作", "Action"),
    ("tasks.by", "操作人", "By"),
    ("tasks.at", "时间", "When"),
    ("tasks.before", "之前", "Before"),
    ("tasks.after", "之后", "After"),
    ("tasks.approve", "批准", "Approve"),
    ("tasks.reject", "拒绝", "Reject"),
    ("tasks.reason", "理由", "Reason"),
    (
        "tasks.reason_required",
        "拒绝时必须填写理由。",
        "A rejection needs a reason.",
    ),
    ("tasks.decide_title", "做出决定", "Decide"),
    (
        "tasks.decided_note",
        "此任务已决定：",
        "This task is decided:",
    ),
    (
        "tasks.cannot_decide",
        "你的角色不能决定此队列的任务。",
        "Your role may not decide tasks of this queue.",
    ),
    (
        "tasks.decisions_title",
        "决定记录（审计）",
        "Decisions (audit)",
    ),
    ("tasks.changes", "更正", "Corrections"),
    ("verdict.approve", "批准", "approved"),
    ("verdict.reject", "拒绝", "rejected"),
    ("action.opened", "创建", "opened"),
    ("action.reminded", "提醒", "reminded"),
    ("action.decided", "决定", "decided"),
    // ── invoice review ──
    ("invoice.title", "发票复核", "Invoice review"),
    (
        "invoice.scan",
        "扫描件与识别出的字段",
        "The scan and the fields read from it",
    ),
    (
        "invoice.no_scan",
        "此请求没有扫描件：数据来自平台订单。",
        "This request has no scan: the data came from the platform's order.",
    ),
    (
        "invoice.pdf_scan",
        "扫描件是 PDF，请打开查看：",
        "The scan is a PDF; open it:",
    ),
    (
        "invoice.legend",
        "框的颜色表示识别置信度：",
        "The boxes' colours show how sure the reading is:",
    ),
    ("invoice.high", "高（≥ 85%）", "high (≥ 85 %)"),
    ("invoice.medium", "中（60–85%）", "medium (60–85 %)"),
    (
        "invoice.low",
        "低（< 60%，必须核对）",
        "low (< 60 %, check it)",
    ),
    ("invoice.field", "字段", "Field"),
    ("invoice.value", "识别值", "Value read"),
    ("invoice.confidence", "置信度", "Confidence"),
    ("invoice.computed", "计算出的发票", "The computed invoice"),
    ("invoice.payer", "购买方（抬头）", "Payer"),
    ("invoice.payer_kind", "类型", "Kind"),
    ("invoice.company", "企业", "company"),
    ("invoice.person", "个人", "person"),
    ("invoice.payer_name", "名称", "Name"),
    ("invoice.tax_id", "税号", "Tax id"),
    ("invoice.order_id", "订单号", "Order id"),
    ("invoice.shop", "店铺", "Shop"),
    ("invoice.lines", "明细", "Lines"),
    ("invoice.item", "项目名称", "Item"),
    ("invoice.quantity", "数量", "Quantity"),
    (
        "invoice.unit_price",
        "单价（不含税）",
        "Unit price (before tax)",
    ),
    ("invoice.gross", "金额（含税）", "Amount (with tax)"),
    ("invoice.amount", "金额", "Amount"),
    ("invoice.tax_rate", "税率", "Tax rate"),
    ("invoice.tax", "税额", "Tax"),
    ("invoice.total", "价税合计", "Total"),
    (
        "invoice.expected_total",
        "应为合计（订单实付）",
        "Expected total (paid)",
    ),
    ("invoice.edit", "更正并决定", "Correct and decide"),
    (
        "invoice.edit_note",
        "只提交改动过的字段；明细改动后会重新计算税额。批准后流程重新计算、开具并上传发票；仍有问题会再次进入复核。",
        "Only the fields you change are sent; changed lines are computed again. After approval the flow recomputes, issues and uploads the invoice; if something is still wrong it comes back for review.",
    ),
    (
        "invoice.add_line",
        "新增一行（留空则忽略）",
        "A new line (ignored when empty)",
    ),
    (
        "invoice.bad_line",
        "明细填写不完整或数字格式不对：第",
        "A line is incomplete or a number is malformed: line",
    ),
    // ── returns review ──
    ("returns.title", "退货/退款复核", "Return review"),
    ("returns.items", "商品", "Items"),
    ("returns.refund_amount", "退款金额", "Refund amount"),
    ("returns.reason", "买家原因", "Buyer's reason"),
    ("returns.window", "无理由退货截止", "No-reason window ends"),
    ("returns.kind", "类型", "Kind"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_the_query_then_the_cookie() {
        assert_eq!(from_query(Some("a=1&lang=en")), Some(Lang::En));
        assert_eq!(from_query(Some("lang=zh-CN")), Some(Lang::Zh));
        assert_eq!(from_query(Some("lang=fr")), None);
        assert_eq!(Lang::En.t("nav.runs"), "Runs");
        assert_eq!(Lang::Zh.t("nav.runs"), "运行");
    }

    #[test]
    fn keys_are_unique_and_every_used_key_is_translated() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key appears twice in TEXTS");
        for (k, zh, en) in TEXTS {
            assert!(!zh.is_empty() && !en.is_empty(), "{k} lacks a text");
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/console");
        for entry in std::fs::read_dir(dir).expect("the console's sources") {
            let path = entry.expect("a file").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("readable");
            for (i, _) in source.match_indices(".t(\"") {
                let rest = &source[i + 4..];
                let key = &rest[..rest.find('"').unwrap_or(0)];
                assert!(
                    keys.binary_search(&key).is_ok(),
                    "{}: label `{key}` is not in TEXTS",
                    path.display()
                );
            }
        }
    }
}
