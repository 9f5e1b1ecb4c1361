#!/usr/bin/env python3
"""Computes the pinned signing vectors for JD, PDD, Douyin and Shopify independently of the Rust
code, from the algorithms in ../shared/DOMAIN.md (Taobao's vectors there are official).
Run from this folder: python3 gen.py (rewrites the vector files)."""
import base64, hashlib, hmac, json

def top(params, secret):
    s = "".join(k + v for k, v in sorted(params.items()) if k != "sign" and v != "")
    return hashlib.md5((secret + s + secret).encode()).hexdigest().upper()

def write(name, value):
    with open(name, "w") as f:
        f.write(value + "\n")

write("jd.md5", top({
    "360buy_param_json": '{"order_id":"3000012345"}', "access_token": "jd-token",
    "app_key": "jdkey", "method": "jingdong.pop.order.get",
    "timestamp": "2026-11-24 10:00:00", "v": "2.0"}, "jdsecret"))
write("pdd.md5", top({
    "access_token": "pdd-token", "client_id": "pddclient", "data_type": "JSON",
    "order_sn": "261124-123456789012345", "timestamp": "1795996800",
    "type": "pdd.order.information.get"}, "pddsecret"))
write("pdd-push.b64", base64.b64encode(
    hashlib.md5(("pddclient" + "1795996800000" + "pddsecret").encode()).hexdigest().encode()).decode())

pj = json.dumps({"shop_order_id": "6920000000000000001"}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
inner = "app_key" + "dykey" + "method" + "order.orderDetail" + "param_json" + pj + "timestamp" + "2026-11-24 10:00:00" + "v" + "2"
wrapped = "dysecret" + inner + "dysecret"
write("douyin.hmac-sha256", hmac.new(b"dysecret", wrapped.encode(), hashlib.sha256).hexdigest())
write("douyin.md5", hashlib.md5(wrapped.encode()).hexdigest())
write("douyin-push.md5", hashlib.md5(("dykey" + '[{"tag":"101","msg_id":"m1","data":"{}"}]' + "dysecret").encode()).hexdigest())

write("shopify.b64", base64.b64encode(hmac.new(b"shpss_secret",
    b'{"id":820982911946154508,"financial_status":"pending"}', hashlib.sha256).digest()).decode())
