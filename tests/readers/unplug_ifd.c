/*
 * A pcscd reader driver that is vsmartcard-vpcd with an "unplug" switch, for tests.
 *
 * pcscd (Debian's 1.9.9, libudev hotplug) never adds or removes reader.conf.d readers while it
 * runs, and vpcd always answers, so neither can show a reader being unplugged. A real serial
 * reader that is unplugged stays listed while its driver reports communication errors, and
 * pcscd marks it SCARD_STATE_UNAVAILABLE until it answers again. This driver does exactly that:
 * every call goes to vpcd (REAL_DRIVER, given at build time), except that the card-presence
 * poll fails while the file named by $YZT_IFD_UNPLUGGED exists.
 *
 * Built by tests/readers/pcscd.py: cc -shared -fPIC -DREAL_DRIVER='"…/libifdvpcd.so"' … -ldl
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <ifdhandler.h>

static void *real;

static void *real_function(const char *name)
{
    if (real == NULL)
        real = dlopen(REAL_DRIVER, RTLD_NOW | RTLD_LOCAL);
    return real == NULL ? NULL : dlsym(real, name);
}

#define FORWARD(name, params, args) \
    RESPONSECODE name params \
    { \
        RESPONSECODE (*call) params = real_function(#name); \
        return call == NULL ? IFD_COMMUNICATION_ERROR : call args; \
    }

FORWARD(IFDHCreateChannelByName, (DWORD Lun, LPSTR DeviceName), (Lun, DeviceName))
FORWARD(IFDHCreateChannel, (DWORD Lun, DWORD Channel), (Lun, Channel))
FORWARD(IFDHCloseChannel, (DWORD Lun), (Lun))
FORWARD(IFDHGetCapabilities, (DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value),
        (Lun, Tag, Length, Value))
FORWARD(IFDHSetCapabilities, (DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value),
        (Lun, Tag, Length, Value))
FORWARD(IFDHSetProtocolParameters,
        (DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1, UCHAR PTS2, UCHAR PTS3),
        (Lun, Protocol, Flags, PTS1, PTS2, PTS3))
FORWARD(IFDHPowerICC, (DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength),
        (Lun, Action, Atr, AtrLength))
FORWARD(IFDHTransmitToICC,
        (DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
         PDWORD RxLength, PSCARD_IO_HEADER RecvPci),
        (Lun, SendPci, TxBuffer, TxLength, RxBuffer, RxLength, RecvPci))
FORWARD(IFDHControl,
        (DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
         DWORD RxLength, LPDWORD pdwBytesReturned),
        (Lun, dwControlCode, TxBuffer, TxLength, RxBuffer, RxLength, pdwBytesReturned))

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
    const char *unplugged = getenv("YZT_IFD_UNPLUGGED");
    RESPONSECODE (*call)(DWORD) = real_function("IFDHICCPresence");

    if ((unplugged != NULL && access(unplugged, F_OK) == 0) || call == NULL)
        return IFD_COMMUNICATION_ERROR;
    return call(Lun);
}
