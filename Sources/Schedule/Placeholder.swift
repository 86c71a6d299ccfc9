public enum ScheduleModule {}
