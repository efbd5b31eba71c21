"""Kernels: specs, process lifecycle and the ZMQ channels, as plain async Python.

The rule: jupyter_client and zmq are imported only when a kernel is started or a
spec is looked up, never when this package is imported (server cold start).
Clients reach a kernel through a ``ChannelSession``; bytes from the kernel are
forwarded without being decoded and re-encoded (``wire``). Kernels outlive a killed
server: each is recorded (``records``) and adopted by the next start (``adopted``).
"""

from __future__ import annotations

from carnet.kernels.channels import ChannelSession, ClientSink
from carnet.kernels.kernel import Kernel, KernelId
from carnet.kernels.service import KernelService
from carnet.kernels.specs import KernelSpecInfo, KernelSpecs
from carnet.kernels.wire import V1_PROTOCOL

__all__ = [
    "V1_PROTOCOL",
    "ChannelSession",
    "ClientSink",
    "Kernel",
    "KernelId",
    "KernelService",
    "KernelSpecInfo",
    "KernelSpecs",
]
