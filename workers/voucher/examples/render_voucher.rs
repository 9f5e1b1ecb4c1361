//! Renders a sample voucher to `voucher.pdf` in the current directory (for looking at the layout).

use shopflow_core::ArtifactStore;
use shopflow_voucher::{FontFiles, Vouchers};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = ArtifactStore::new(dir.path());
    let v = Vouchers::new(
        vec![9; 32],
        store.clone(),
        "http://127.0.0.1:8080",
        FontFiles::from_env(),
    );
    let issued = v.issue(
        serde_json::json!({
            "shop": "山野茶舍旗舰店", "platform": "taobao", "order_id": "4102938475610293",
            "refund_id": "RF77881",
            "items": [{"name": "明前龙井 250g 礼盒装", "sku": "LJ-250", "quantity": 2},
                      {"name": "Glass tea cup with infuser, 350 ml, borosilicate glass, dishwasher safe, gift box", "quantity": 1}],
            "return_address": {"contact": "售后部 王磊", "phone": "0571-88886666",
                "address": "浙江省 杭州市 余杭区 仓前街道 文一西路 1001 号 3 号仓", "postcode": "311121"},
            "deadline": "2026-12-02"
        }),
        "example",
    )?;
    let pdf = store.get(&issued.pdf.artifact)?.ok_or("missing")?;
    std::fs::write("voucher.pdf", pdf)?;
    println!("voucher.pdf: {} ({} bytes)", issued.rma, issued.pdf.size);
    Ok(())
}
