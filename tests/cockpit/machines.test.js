// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Drives Cockpit's Virtual Machines page (cockpit-machines) in headless
// Chromium and checks what it shows and does against virsh on the same
// libvirtd. Started by ./run, which sets up the private buses, libvirtd, the
// org.libvirt service and cockpit-ws, and passes everything in VIRTBUS_COCKPIT_*
// variables. Prints TAP; exits 1 if any step failed.

'use strict';

const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function need(name) {
    const value = process.env[name];
    if (!value) {
        console.error(`machines.test.js: ${name} is not set; run it through ./run`);
        process.exit(2);
    }
    return value;
}

const url = need('VIRTBUS_COCKPIT_URL');
const uri = need('VIRTBUS_COCKPIT_URI');
const artifacts = need('VIRTBUS_COCKPIT_ARTIFACTS');
const chromiumPath = need('VIRTBUS_COCKPIT_CHROMIUM');
const profile = need('VIRTBUS_COCKPIT_PROFILE');
const servicePid = need('VIRTBUS_COCKPIT_SERVICE_PID');
const vmRunning = need('VIRTBUS_COCKPIT_VM_RUNNING');
const vmOff = need('VIRTBUS_COCKPIT_VM_OFF');
const volume = need('VIRTBUS_COCKPIT_VOLUME');
const pool = need('VIRTBUS_COCKPIT_POOL');
const poolSpare = need('VIRTBUS_COCKPIT_POOL_SPARE');
const netSpare = need('VIRTBUS_COCKPIT_NET_SPARE');

// The first load starts a bridge and probes the host: allow for a slow CI.
const LOAD_TIMEOUT = 120000;
const STEP_TIMEOUT = 30000;

// --- virsh and the bus, the references the page is checked against --------

function virsh(...args) {
    return execFileSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function virshOk(...args) {
    try {
        virsh(...args);
        return true;
    } catch (e) {
        return false;
    }
}

// "virsh pool-list --all" / "net-list --all" as [{ name, state }].
function virshTable(command) {
    return virsh(command, '--all').split('\n').map(l => l.trim()).filter(l => l)
            .map(l => {
                const [name, state] = l.split(/\s+/);
                return { name, state };
            });
}

function virshDomains() {
    return virsh('list', '--all', '--name').split('\n').map(l => l.trim()).filter(l => l).sort();
}

// "key: value" lines of pool-info / net-info / dominfo.
function virshInfo(...args) {
    const info = {};
    for (const line of virsh(...args).split('\n')) {
        const m = line.match(/^([^:]+):\s*(.*)$/);
        if (m)
            info[m[1].trim()] = m[2].trim();
    }
    return info;
}

function busctl(...args) {
    return execFileSync('busctl', ['--system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function until(what, predicate, timeout = STEP_TIMEOUT) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            last = await predicate();
            if (last === true)
                return;
        } catch (e) {
            last = e.message;
        }
        if (Date.now() > deadline)
            throw new Error(`timed out waiting for ${what}` + (last !== false && last !== undefined ? ` (last: ${last})` : ''));
        await new Promise(resolve => setTimeout(resolve, 250));
    }
}

function assert(condition, message) {
    if (!condition)
        throw new Error(message);
}

function sameList(what, shown, expected) {
    const a = [...shown].sort();
    const b = [...expected].sort();
    assert(JSON.stringify(a) === JSON.stringify(b),
           `${what}: page shows ${JSON.stringify(a)}, virsh ${JSON.stringify(b)}`);
}

// --- TAP --------------------------------------------------------------------

const steps = [];
// A critical step's failure stops the run; "needs" names earlier steps whose
// failure leaves nothing for this one to check.
function step(name, fn, { critical = false, needs = [] } = {}) {
    steps.push({ name, fn, critical, needs });
    return name;
}

function diag(text) {
    for (const line of String(text).split('\n'))
        console.log(`# ${line}`);
}

// --- The page -----------------------------------------------------------------

let context;
let page;
let app; // the machines page's iframe inside Cockpit's shell

// cockpit-machines 288 uses PatternFly 4 (pf-c-*); later ones PatternFly 5.
const DANGER_ALERT = '.pf-c-alert.pf-m-danger, .pf-v5-c-alert.pf-m-danger';
const FETCH_ERROR = 'Failed to fetch some resources';

const row = id => app.locator(`tr[data-row-id="${id}"]`);

async function textOf(selector) {
    return (await app.locator(selector).innerText({ timeout: STEP_TIMEOUT })).trim();
}

async function waitText(selector, expected, timeout = STEP_TIMEOUT) {
    await until(`${selector} to read "${expected}"`, async () => {
        const text = (await app.locator(selector).innerText({ timeout: 1000 })).trim();
        return text === expected || `"${text}"`;
    }, timeout);
}

// The names and states of the rows of a Networks or Storage pools listing.
async function listing(prefix) {
    const rows = app.locator(`tr[data-row-id^="${prefix}-"]`);
    const result = [];
    for (const r of await rows.all()) {
        const id = await r.getAttribute('data-row-id');
        const name = (await r.locator(`[id="${id}-name"]`).innerText()).trim();
        const state = (await r.locator(`[id="${id}-state"]`).innerText()).trim();
        result.push({ name, state });
    }
    return result;
}

// The counters of the Storage pools / Networks card on the VM list.
async function card(id) {
    const c = app.locator(`#${id}`);
    const title = (await c.locator('.card-pf-title-link').innerText()).trim();
    const counts = await c.locator('.active-resources').allInnerTexts();
    return { total: parseInt(title, 10), active: parseInt(counts[0], 10), inactive: parseInt(counts[1], 10) };
}

// Toasts (the page's error notifications) cover the cards; a failure they
// report has been counted already, so later steps close them.
async function dismissToasts() {
    const toasts = app.locator('.pf-c-alert-group.pf-m-toast .pf-c-alert, .pf-v5-c-alert-group.pf-m-toast .pf-v5-c-alert');
    while (await toasts.count()) {
        const toast = toasts.first();
        diag(`closing a notification: ${(await toast.innerText()).replace(/\s+/g, ' ')}`);
        await toast.locator('.pf-c-alert__action button, .pf-v5-c-alert__action button').click();
        await page.waitForTimeout(200);
    }
}

async function gotoVmList() {
    const crumb = app.locator('.pf-c-breadcrumb a, .pf-v5-c-breadcrumb a', { hasText: 'Virtual machines' });
    if (await crumb.count())
        await crumb.first().click();
    await app.locator('#virtual-machines-listing').waitFor({ timeout: STEP_TIMEOUT });
    await dismissToasts();
}

async function noRowError(prefix, name) {
    const alert = row(`${prefix}-${name}-system`).locator('xpath=following-sibling::tr[1]')
            .locator('.pf-c-alert, .pf-v5-c-alert');
    if (await alert.count())
        throw new Error(`the page reports: ${(await alert.first().innerText()).replace(/\s+/g, ' ')}`);
}

function checkCard(c, table, what) {
    const active = table.filter(x => x.state === 'active').length;
    assert(c.total === table.length && c.active === active && c.inactive === table.length - active,
           `${what} card shows ${c.total} (${c.active} up, ${c.inactive} down), ` +
           `virsh ${table.length} (${active} active)`);
}

// --- The steps ----------------------------------------------------------------

step('the Virtual Machines page loads and lists VMs', async () => {
    await page.goto(url, { timeout: LOAD_TIMEOUT });
    const frame = page.frameLocator('iframe[name="cockpit1:localhost/machines"]');
    app = frame;
    const ignore = app.locator('#ignore-hw-virtualization-disabled-btn');
    const list = app.locator('#virtual-machines-listing');
    const notActive = app.getByText('Virtualization service (libvirt) is not active');
    await ignore.or(list).or(notActive).first().waitFor({ timeout: LOAD_TIMEOUT });
    if (await notActive.count())
        throw new Error('the page says "Virtualization service (libvirt) is not active": it reached no org.libvirt');
    if (await ignore.count()) {
        // Not expected with the flag set in main(); click as a person would.
        diag('the page reports hardware virtualization as disabled; clicking Ignore');
        await ignore.click();
    }
    await list.waitFor({ timeout: LOAD_TIMEOUT });
    await row(`vm-${vmRunning}-system`).waitFor({ timeout: LOAD_TIMEOUT });
    await row(`vm-${vmOff}-system`).waitFor({ timeout: LOAD_TIMEOUT });
}, { critical: true });

step('cockpit-bridge is connected to the private system bus', async () => {
    const names = busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                         'org.freedesktop.DBus', 'ListNames')
            .match(/":[0-9.]+"/g).map(s => s.slice(1, -1));
    const comms = [];
    for (const name of names) {
        try {
            const pid = busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
                               'org.freedesktop.DBus', 'GetConnectionUnixProcessID', 's', name)
                    .trim().split(/\s+/)[1];
            comms.push(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
        } catch (e) {
            // gone meanwhile
        }
    }
    assert(comms.includes('cockpit-bridge'), `no cockpit-bridge among the bus's clients: ${comms.join(', ')}`);
    const owner = busctl('call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                         'GetConnectionUnixProcessID', 's', 'org.libvirt').trim().split(/\s+/)[1];
    assert(owner === servicePid, `org.libvirt is owned by pid ${owner}, not the service under test (${servicePid})`);
});

step(`no "${FETCH_ERROR}" alert`, async () => {
    // The cards fill in once every list call has returned; the alert is
    // raised at the same time.
    await until('the cards to show counts', async () => {
        const p = await card('card-pf-storage-pools');
        const n = await card('card-pf-networks');
        return (!isNaN(p.total) && !isNaN(n.total)) || 'not yet';
    });
    await page.waitForTimeout(1000);
    const alert = app.locator(DANGER_ALERT).filter({ hasText: FETCH_ERROR });
    if (await alert.count()) {
        const more = alert.first().getByText('show more');
        if (await more.count())
            await more.click();
        throw new Error(`the page shows: ${(await alert.first().innerText()).replace(/\s+/g, ' ')}`);
    }
    const other = app.locator(DANGER_ALERT);
    if (await other.count())
        throw new Error(`the page shows an error: ${(await other.first().innerText()).replace(/\s+/g, ' ')}`);
});

step(`${vmRunning} is shown as Running`, async () => {
    await waitText(`#vm-${vmRunning}-system-state`, 'Running');
    assert(virshInfo('dominfo', vmRunning).State === 'running', 'virsh does not say running');
});

step(`${vmOff} is shown as Shut off`, async () => {
    await waitText(`#vm-${vmOff}-system-state`, 'Shut off');
    assert(virshInfo('dominfo', vmOff).State === 'shut off', 'virsh does not say shut off');
});

step('the VM list is virsh list --all', async () => {
    const shown = await app.locator('#virtual-machines-listing .vm-list-item-name').allInnerTexts();
    sameList('VMs', shown.map(s => s.trim()), virshDomains());
});

step('the Storage pools and Networks cards count what virsh lists', async () => {
    checkCard(await card('card-pf-storage-pools'), virshTable('pool-list'), 'Storage pools');
    checkCard(await card('card-pf-networks'), virshTable('net-list'), 'Networks');
});

const poolsPage = step('the Storage pools page lists virsh pool-list --all', async () => {
    await dismissToasts();
    await app.locator('#card-pf-storage-pools .card-pf-title-link').click();
    await app.locator('#storage-pools-listing').waitFor({ timeout: STEP_TIMEOUT });
    const expected = virshTable('pool-list');
    await until('every pool to be listed', async () => (await listing('pool')).length === expected.length || 'not yet');
    const shown = await listing('pool');
    sameList('pools', shown.map(p => `${p.name}:${p.state}`), expected.map(p => `${p.name}:${p.state}`));
});

const poolUp = step(`activate storage pool ${poolSpare} from the page`, async () => {
    await app.locator(`[id="activate-pool-${poolSpare}-system"]`).click();
    await waitText(`[id="pool-${poolSpare}-system-state"]`, 'active');
    await noRowError('pool', poolSpare);
    await until('virsh pool-info to say running', () => virshInfo('pool-info', poolSpare).State === 'running');
}, { needs: [poolsPage] });

step(`deactivate storage pool ${poolSpare} from the page`, async () => {
    await app.locator(`[id="deactivate-pool-${poolSpare}-system"]`).click();
    await waitText(`[id="pool-${poolSpare}-system-state"]`, 'inactive');
    await noRowError('pool', poolSpare);
    await until('virsh pool-info to say inactive', () => virshInfo('pool-info', poolSpare).State === 'inactive');
}, { needs: [poolUp] });

const networksPage = step('the Networks page lists virsh net-list --all', async () => {
    await gotoVmList();
    await app.locator('#card-pf-networks .card-pf-title-link').click();
    await app.locator('#networks-listing').waitFor({ timeout: STEP_TIMEOUT });
    const expected = virshTable('net-list');
    await until('every network to be listed', async () => (await listing('network')).length === expected.length || 'not yet');
    const shown = await listing('network');
    sameList('networks', shown.map(n => `${n.name}:${n.state}`), expected.map(n => `${n.name}:${n.state}`));
});

const networkUp = step(`activate network ${netSpare} from the page`, async () => {
    await app.locator(`[id="activate-network-${netSpare}-system"]`).click();
    await waitText(`[id="network-${netSpare}-system-state"]`, 'active');
    await noRowError('network', netSpare);
    await until('virsh net-info to say active', () => virshInfo('net-info', netSpare).Active === 'yes');
}, { needs: [networksPage] });

step(`deactivate network ${netSpare} from the page`, async () => {
    await app.locator(`[id="deactivate-network-${netSpare}-system"]`).click();
    await waitText(`[id="network-${netSpare}-system-state"]`, 'inactive');
    await noRowError('network', netSpare);
    await until('virsh net-info to say inactive', () => virshInfo('net-info', netSpare).Active === 'no');
}, { needs: [networkUp] });

const deleteDialog = step(`the Delete dialog of ${vmOff} offers its volume ${volume}`, async () => {
    await gotoVmList();
    await app.locator(`[id="vm-${vmOff}-system-action-kebab"]`).click();
    await app.locator(`[id="vm-${vmOff}-system-delete"]`).click();
    const dialog = app.locator(`[id="vm-${vmOff}-delete-modal-dialog"]`);
    await dialog.waitFor({ timeout: STEP_TIMEOUT });
    await until('the disk to be listed', async () => (await dialog.locator('.disk-source-volume').count()) > 0 || 'no disk');
    assert((await dialog.locator('.disk-source-volume').innerText()).trim() === volume, 'the dialog names another volume');
    assert((await dialog.locator('.disk-source-pool').innerText()).trim() === pool, 'the dialog names another pool');
    const box = dialog.locator('input[type="checkbox"]');
    assert(await box.count() === 1, `expected one disk checkbox, found ${await box.count()}`);
    if (!await box.isChecked())
        await box.check();
});

step(`delete ${vmOff} with its volume; virsh finds neither`, async () => {
    const dialog = app.locator(`[id="vm-${vmOff}-delete-modal-dialog"]`);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: STEP_TIMEOUT }).catch(async e => {
        throw new Error(`the dialog stayed open: ${(await dialog.innerText()).replace(/\s+/g, ' ')}`);
    });
    await row(`vm-${vmOff}-system`).waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
    await until('virsh to lose the domain', () => !virshOk('dominfo', vmOff));
    // The page deletes the storage after the domain.
    await until('virsh to lose the volume', () => !virshOk('vol-info', '--pool', pool, volume));
    const warning = app.locator('.pf-c-alert, .pf-v5-c-alert').filter({ hasText: 'Could not delete' });
    if (await warning.count())
        throw new Error(`the page shows: ${(await warning.first().innerText()).replace(/\s+/g, ' ')}`);
    const shown = await app.locator('#virtual-machines-listing .vm-list-item-name').allInnerTexts();
    sameList('VMs after the delete', shown.map(s => s.trim()), virshDomains());
}, { needs: [deleteDialog] });

// --- Run ----------------------------------------------------------------------

function slug(text) {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

async function main() {
    fs.mkdirSync(artifacts, { recursive: true });
    const consoleLog = fs.createWriteStream(path.join(artifacts, 'browser-console.log'));

    console.log(`1..${steps.length}`);
    context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        viewport: { width: 1280, height: 900 },
        args: [
            '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
        ],
    });
    // Without KVM (a VM, a CI runner) the page replaces the VM list with
    // "Hardware virtualization is disabled" whenever its virt-host-validate
    // check finishes, which under load can be after the list appeared. Its
    // Ignore button only stores this flag; set it before the page loads.
    await context.addInitScript(() => {
        try {
            window.localStorage.setItem('virtualization-disabled-ignored', 'true');
        } catch (e) {
            // a page without storage (about:blank)
        }
    });
    page = context.pages()[0] || await context.newPage();
    page.on('console', m => consoleLog.write(`${m.type()}: ${m.text()}\n`));
    page.on('pageerror', e => consoleLog.write(`pageerror: ${e.message}\n`));

    let failed = 0;
    let blocker = null;
    const failedSteps = new Set();
    for (const [i, s] of steps.entries()) {
        const n = i + 1;
        const missing = blocker || s.needs.find(name => failedSteps.has(name));
        if (missing) {
            console.log(`not ok ${n} - ${s.name}`);
            diag(`not run: "${missing}" failed`);
            failedSteps.add(s.name);
            failed++;
            continue;
        }
        const started = Date.now();
        let error = null;
        try {
            await s.fn();
        } catch (e) {
            error = e;
        }
        const shot = path.join(artifacts, `${String(n).padStart(2, '0')}-${slug(s.name)}${error ? '-FAILED' : ''}.png`);
        await page.screenshot({ path: shot }).catch(e => diag(`screenshot failed: ${e.message}`));
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        if (error) {
            failed++;
            failedSteps.add(s.name);
            console.log(`not ok ${n} - ${s.name}`);
            diag(error.message.split('\n')[0]);
            diag(`screenshot: ${path.basename(shot)}`);
            if (s.critical)
                blocker = s.name;
        } else {
            console.log(`ok ${n} - ${s.name}`);
            diag(`${secs} s`);
        }
    }
    await context.close();
    consoleLog.end();
    console.log(`# ${steps.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
}

main().then(code => process.exit(code), async e => {
    console.log(`Bail out! ${e.message.split('\n')[0]}`);
    if (context)
        await context.close().catch(() => {});
    process.exit(1);
});
