"""The checkpoint's pass check on a phone (390×844) in a real Chromium: the signature is
verified in the browser with WebCrypto against the key list fetched once, offline; a tampered,
an expired and a wrong-key pass are rejected with their reason; online, a revoked pass is
shown revoked."""

import datetime as dt
import re
import statistics
import zlib

import base45
import cbor2
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.lab.conftest import give_result, make_tube

from fangkong.core.roles import Role
from fangkong.lab.models import Lab
from fangkong.places.models import Level
from fangkong.policy.services import profiles_install_shipped
from fangkong.supplies.models import Courier, Enterprise, SigningKey
from fangkong.supplies.passes import hcert, services

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def tampered(code: str) -> str:
    cose = cbor2.loads(zlib.decompress(base45.b45decode(code[4:])))
    protected, unprotected, payload, signature = cose.value
    claims = cbor2.loads(payload)
    claims[-260]["ent"] = "冒名超市"
    forged = cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature])
    return "FK1:" + base45.b45encode(zlib.compress(cbor2.dumps(forged))).decode()


def test_offline_and_online_pass_check_on_a_phone(browser: Browser, live_server, transactional_db):
    profiles_install_shipped()
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    wang = f.resident(city.w[Level.UNIT], "王芳", sex="F")
    firm = Enterprise.objects.create(
        kind="supermarket",
        name="许昌惠民超市",
        credit_code="91411002MA44C8XK3A",
        division=city.weidu,
        division_key=city.weidu.key,
        status="granted",
    )
    street = city.w[Level.STREET]
    courier = Courier.objects.create(
        enterprise=firm,
        person=wang,
        area=street,
        area_key=street.key,
        division_key=firm.division_key,
        home_address="西大街 12 号",
        status="granted",
    )
    lab = Lab.objects.create(
        code="LAB-W", name="魏都检测", division=city.weidu, division_key="411002"
    )
    sampled = timezone.now() - dt.timedelta(hours=2)
    give_result(
        make_tube("B-1", [wang], collected_at=sampled), "negative", lab=lab, tested_at=sampled
    )
    issued = services.pass_issue(actor=boss, holder=courier)
    key = services.private_key_of(SigningKey.objects.get())
    now = timezone.now()
    expired = hcert.sign(
        private_key=key,
        issuer="CN-FANGKONG",
        issued_at=now - dt.timedelta(hours=30),
        expires_at=now - dt.timedelta(hours=6),
        claims={"sn": issued.serial, "k": "courier", "nm": "王*"},
    )
    stranger = hcert.sign(
        private_key=hcert.new_private_key(),
        issuer="CN-FANGKONG",
        issued_at=now,
        expires_at=now + dt.timedelta(hours=6),
        claims={"sn": issued.serial, "k": "courier", "nm": "王*"},
    )

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/pass-check/")
    expect(page.locator("#keys-state")).to_contain_text("公钥列表获取时间")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    context.set_offline(True)  # from here on, the phone has no network

    def check(code: str) -> None:
        page.fill("#pass-text", code)
        page.click("#typed button[type=submit]")

    check(issued.code)
    expect(page.locator("#verdict-head")).to_have_text("通行证有效")
    expect(page.locator("#v-holder")).to_have_text("配送人员 王*")
    expect(page.locator("#v-enterprise")).to_have_text("许昌惠民超市")
    expect(page.locator("#v-area")).to_have_text(street.name)
    expect(page.locator("#v-hints")).to_contain_text("女")
    expect(page.locator("#v-online")).to_have_text("离线：未核验是否作废")
    assert wang.id_number not in page.content()

    check(tampered(issued.code))
    expect(page.locator("#verdict-head")).to_have_text("伪造或被篡改：签名不符")
    check(expired)
    expect(page.locator("#verdict-head")).to_have_text("已过期")
    check(stranger)
    expect(page.locator("#verdict-head")).to_have_text("密钥不符：并非本平台公布的密钥签发")
    check("FK1:NOT-A-PASS")
    expect(page.locator("#verdict-head")).to_have_text("不是通行证或已损坏：无法读取")

    # Offline verification time: the issue asks a median under 5 ms a pass.
    times = page.evaluate(
        """async (code) => {
            const pc = window.fangkongPassCheck, entry = await pc.keys(), out = [];
            for (let i = 0; i < 40; i++) {
              const t = performance.now();
              const r = await pc.verifyOffline(code, entry, Date.now());
              if (r.reason !== "valid") throw new Error(r.reason);
              out.push(performance.now() - t);
            }
            return out;
        }""",
        issued.code,
    )
    median = statistics.median(times)
    print(f"offline verification in Chromium: median {median:.2f} ms over {len(times)} passes")
    assert median < 25  # the bench target is 5 ms; a loaded CI machine gets slack here

    # Online again: the server says the pass was revoked.
    services.pass_revoke(actor=boss, supply_pass=issued, reason="密切接触者")
    context.set_offline(False)
    check(issued.code)
    expect(page.locator("#verdict-head")).to_have_text("已作废")
    expect(page.locator("#v-online")).to_contain_text("密切接触者")
    context.close()


def test_the_task_force_whitelists_a_courier_and_issues_a_pass(
    browser_page, live_server, transactional_db
):
    profiles_install_shipped()
    city = f.make_city()
    f.user("baogong", Role.TASK_FORCE, city.weidu)
    wang = f.resident(city.w[Level.UNIT], "王芳", sex="F")
    firm = Enterprise.objects.create(
        kind="supermarket",
        name="许昌惠民超市",
        credit_code="91411002MA44C8XK3A",
        division=city.weidu,
        division_key=city.weidu.key,
        status="granted",
    )
    lab = Lab.objects.create(
        code="LAB-W", name="魏都检测", division=city.weidu, division_key="411002"
    )
    sampled = timezone.now() - dt.timedelta(hours=3)
    give_result(
        make_tube("B-2", [wang], collected_at=sampled), "negative", lab=lab, tested_at=sampled
    )

    page = browser_page
    log_in(page, "baogong", f"/supplies/enterprises/{firm.pk}/")
    page.click("#couriers + details summary")
    page.fill("#id_courier-id_number", wang.id_number)
    page.fill("#id_courier-name", "王芳")
    page.fill("#id_courier-phone", "13912345678")
    page.fill("#id_courier-area", city.w[Level.STREET].code)
    page.fill("#id_courier-home_address", "西大街 12 号")
    page.click("#courier button[type=submit]")
    courier = Courier.objects.get(person=wang)
    expect(page).to_have_url(re.compile(rf"/supplies/couriers/{courier.pk}/$"))
    page.select_option("#status select[name=status]", "granted")
    page.fill("#status input[name=reason]", "核验通过")
    page.fill("#status input[name=basis]", "保供企业白名单通知")
    page.click("#status button[type=submit]")
    expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "granted")
    page.click("#issue button[type=submit]")
    expect(page.locator("#pass-status")).to_have_text("有效")
    expect(page.locator(".qr svg")).to_be_visible()
    # The code is typed in at a checkpoint: base45 spaces, two in a row too, must read as they are.
    whitespace = page.locator("#pass-code").evaluate("e => getComputedStyle(e).whiteSpace")
    assert whitespace == "pre-wrap"
    code = page.locator("#pass-code").inner_text()
    assert code.startswith("FK1:") and code == courier.passes.get().code
