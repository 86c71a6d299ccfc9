public enum AudioModule {}
