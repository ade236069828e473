#!/usr/bin/python3
"""pyftdi programming N pages of random data with WREN + page program + status polling,
then reading them back, on the device `flashrig emulate` plugs in (for emulate_bench)."""
import os
import sys

from pyftdi.spi import SpiController

pages = int(sys.argv[1]) if len(sys.argv) > 1 else 256
spi = SpiController(cs_count=1)
spi.configure(os.environ["FLASHRIG_FTDI_URL"], frequency=30e6)
port = spi.get_port(cs=0, freq=30e6, mode=0)
data = os.urandom(256 * pages)
for page in range(pages):
    a = page * 256
    port.exchange([0x06])
    port.exchange(bytes([0x02, a >> 16, (a >> 8) & 0xFF, a & 0xFF]) + data[a:a + 256])
    while port.exchange([0x05], 1)[0] & 1:
        pass
chunk = 32768  # pyftdi takes at most 64 KiB - 1 per exchange.
back = b"".join(bytes(port.exchange([0x03, a >> 16, (a >> 8) & 0xFF, a & 0xFF],
                                    min(chunk, len(data) - a)))
                for a in range(0, len(data), chunk))
spi.terminate()
sys.exit(0 if back == data else 1)
