include $(sort $(wildcard $(BR2_EXTERNAL_LVSMON_PATH)/*/*.mk))
