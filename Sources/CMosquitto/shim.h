// libmosquitto (Debian libmosquitto-dev), imported only by the MQTT module.
#include <mosquitto.h>
#include <mqtt_protocol.h>
