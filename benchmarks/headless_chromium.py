"""Start Debian's headless Chromium under selenium, for the explain page's benchmark and tests.

    driver = start()            # a fresh profile in a temporary folder
    driver.get("file:///tmp/explain.html")
    errors = console_errors(driver); urls = requested_urls(driver)
    driver.quit()

Chromium as root needs ``--no-sandbox``; the other switches keep it from
talking to the network on its own (updates, sync, field trials), so that
every request in the log comes from the page.
"""
import json
import shutil
import tempfile

SWITCHES = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1400,1000")


def chromium_paths():
    """``(browser, driver)`` paths, or None when Chromium or chromedriver is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def start(window=(1400, 1000)):
    """A selenium Chrome driver on headless Chromium with console and network logging."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for switch in SWITCHES:
        options.add_argument(switch)
    options.add_argument(f"--window-size={window[0]},{window[1]}")
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='minicnn-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def console_errors(driver):
    """Messages the page logged at level SEVERE (errors, uncaught exceptions, failed loads)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requested_urls(driver, page_url):
    """Every URL the page requested besides itself and in-page ``data:`` URLs.

    Read from the DevTools network log (requests whose document is the page,
    and any http(s) request at all) and from the page's resource timing entries.
    """
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if message["params"].get("documentURL") == page_url or url.startswith(("http:", "https:")):
                urls.add(url)
    urls |= set(driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"))
    return sorted(u for u in urls if u != page_url and not u.startswith("data:"))
