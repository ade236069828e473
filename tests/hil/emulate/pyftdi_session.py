#!/usr/bin/python3
"""A pyftdi session against the device `flashrig emulate` plugs in (FLASHRIG_FTDI_URL):
SpiController JEDEC ID, SFDP header, sector erase and page program with status polling,
read and fast read, SPI mode 3, GpioMpsseController pin writes and reads, the EEPROM
through FtdiEeprom, and the SIO requests pyftdi offers (modem status, latency, pins).

    pyftdi_session.py JEDEC_HEX [--bad-opcode]

Prints one line per step and "PASS" at the end; exits 1 on the first mismatch. With
--bad-opcode it only sends an undefined MPSSE opcode (A5h) and checks the FAh echo.
"""
import os
import sys

from pyftdi.eeprom import FtdiEeprom
from pyftdi.ftdi import Ftdi
from pyftdi.gpio import GpioMpsseController
from pyftdi.spi import SpiController

URL = os.environ["FLASHRIG_FTDI_URL"]
SERIAL = os.environ["FLASHRIG_FTDI_SERIAL"]
WIP = 0x01


def check(what, got, want):
    if got != want:
        print(f"FAIL: {what}: got {got!r}, want {want!r}")
        sys.exit(1)
    print(f"ok: {what}")


def wait_ready(port):
    """Polls SR1 until WIP clears; returns the number of busy polls."""
    busy = 0
    while port.exchange([0x05], 1)[0] & WIP:
        busy += 1
        if busy > 100000:
            print("FAIL: the chip stayed busy")
            sys.exit(1)
    return busy


def spi_session(jedec):
    spi = SpiController(cs_count=1)
    spi.configure(URL, frequency=30e6)
    port = spi.get_port(cs=0, freq=30e6, mode=0)
    check("JEDEC ID", port.exchange([0x9F], 3).hex(), jedec)
    header = port.exchange([0x5A, 0, 0, 0, 0], 8)
    check("SFDP signature", bytes(header[:4]), b"SFDP")
    addr = 0x1000
    port.exchange([0x06])  # WREN
    port.exchange([0x20, addr >> 16, (addr >> 8) & 0xFF, addr & 0xFF])  # Sector erase.
    print(f"ok: sector erase done after {wait_ready(port)} busy polls")
    check("erased", bytes(port.exchange([0x03, 0, 0x10, 0], 256)), b"\xff" * 256)
    data = bytes((i * 7 + 3) & 0xFF for i in range(256))
    port.exchange([0x06])
    port.exchange(bytes([0x02, 0, 0x10, 0]) + data)  # Page program.
    print(f"ok: page program done after {wait_ready(port)} busy polls")
    check("read", bytes(port.exchange([0x03, 0, 0x10, 0], 256)), data)
    check("fast read", bytes(port.exchange([0x0B, 0, 0x10, 0, 0], 256)), data)
    check("8 KiB read", len(port.exchange([0x03, 0, 0, 0], 8192)), 8192)
    mode3 = spi.get_port(cs=0, freq=10e6, mode=3)  # 3-phase clocking, SCK idle high.
    check("JEDEC ID in mode 3", mode3.exchange([0x9F], 3).hex(), jedec)
    gpio = spi.get_gpio()  # The pins the SPI port leaves free (ADBUS4-7).
    gpio.set_direction(0xF0, 0xF0)
    gpio.write(0xA0)
    check("SPI GPIO read-back", gpio.read(with_output=True) & 0xF0, 0xA0)
    spi.terminate()


def gpio_session(wide):
    gpio = GpioMpsseController()
    direction = 0xFF00 if wide else 0xF0
    gpio.configure(URL, direction=direction, frequency=1e6)
    value = 0x5A00 if wide else 0xA0
    gpio.write(value)
    # Outputs read back as driven; the undriven inputs read high (pull-ups). read() goes
    # through the MPSSE (81h/83h); peek=True through the read-pins request (ADBUS only).
    got = gpio.read()
    got = got if isinstance(got, int) else got[0]
    check("GpioMpsseController read (MPSSE)", got, value | (0x00FF if wide else 0x0F))
    check("GpioMpsseController read (pins request)", gpio.read(peek=True),
          0xFF if wide else 0xAF)
    gpio.close()


def device_session():
    ftdi = Ftdi()
    ftdi.open_from_url(URL)
    check("latency timer", ftdi.get_latency_timer(), 1)  # pyftdi's open sets 1 ms.
    check("modem status", ftdi.poll_modem_status() & 0x60F0, 0x6030)
    check("read pins (all inputs after open)", ftdi.read_pins(), 0xFF)
    ftdi.reset(usb_reset=True)
    ftdi.close()
    eeprom = FtdiEeprom()
    eeprom.open(URL)
    check("EEPROM checksum", eeprom._valid, True)
    check("EEPROM serial", eeprom.serial, SERIAL)
    check("EEPROM manufacturer", eeprom.manufacturer, "FTDI")
    pids = {":232h": 0x6014, ":2232h": 0x6010, ":4232h": 0x6011}
    want_pid = next(pid for name, pid in pids.items() if name + ":" in URL.lower())
    check("EEPROM product id", eeprom.product_id, want_pid)
    eeprom.close()


def bad_opcode():
    ftdi = Ftdi()
    ftdi.open_mpsse_from_url(URL)
    ftdi.write_data(bytes([0xA5, 0x87]))
    check("bad command echo", bytes(ftdi.read_data_bytes(2, attempt=10)), b"\xfa\xa5")
    ftdi.close()


def main():
    jedec = sys.argv[1].lower()
    if "--bad-opcode" in sys.argv:
        bad_opcode()
    else:
        spi_session(jedec)
        gpio_session(wide=":4232h:" not in URL.lower())  # FT4232H ports are 8 bits wide.
        device_session()
    print("PASS")


if __name__ == "__main__":
    main()
