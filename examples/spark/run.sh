#!/usr/bin/env bash
# Runs the Spark jobs of this example in local mode (`run.sh --build` only builds them), e.g.
#   run.sh ecommerce --data .harness/runs/<run id>/data/ecommerce --schema harness
#   run.sh lol --run .harness/runs/<run id> --and ecommerce --data ...   (several jobs, one JVM)
# The one place for the JVM's options. Spark on Java 17 reaches into JDK internals, so the JVM
# needs the --add-opens flags spark-submit would add (Spark's launcher, JavaModuleOptions); the
# unknown ones are ignored (-XX:+IgnoreUnrecognizedVMOptions). The heap is SPARK_HEAP (default
# 768m: Spark refuses a heap under 450 MiB, and the driver also runs the tasks).
# The first run builds the jobs (mvn package) and caches their classpath in target/; set
# MAVEN_OFFLINE=1 to build from ~/.m2 alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/target/spark-pipelines-1.jar"
classpath="$here/target/classpath.txt"

newest_source="$(find "$here/pom.xml" "$here/src" -type f -newer "$jar" 2>/dev/null | head -n 1 || true)"
if [ ! -f "$jar" ] || [ ! -f "$classpath" ] || [ -n "$newest_source" ]; then
  offline=()
  [ "${MAVEN_OFFLINE:-}" = 1 ] && offline=(-o)
  (cd "$here" && mvn -q -B "${offline[@]}" package -DskipTests && mvn -q -B "${offline[@]}" dependency:build-classpath -Dmdep.outputFile="$classpath") >&2
fi

jvm_options=(
  "-Xmx${SPARK_HEAP:-768m}"
  -XX:+IgnoreUnrecognizedVMOptions
  --add-modules=jdk.incubator.vector
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
)
[ "${1:-}" = --build ] && exit 0
# exec: the JVM takes this shell's process id, so a caller's kill reaches Spark itself.
exec java "${jvm_options[@]}" -cp "$jar:$(cat "$classpath")" harness.spark.Main "$@"
