/*
 * A Kafka-protocol broker for tests: librdkafka's mock cluster (Debian's librdkafka-dev).
 * Prints its bootstrap address on the first line of stdout, then takes one command a line on
 * stdin and answers "ok ..." or "error ..." on stdout:
 *   topic <name> <partitions>                 create a topic (CreateTopics is not supported)
 *   down <broker-id|-1> / up <broker-id|-1>   take brokers down or back up
 *   errors <api-key> <count> <error-code>     fail the next <count> requests of that API
 *   rtt <broker-id> <ms>                      delay a broker's responses
 * Exits when stdin closes. Build: cc -O2 -o mock-broker mock-broker.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(const char *status, const char *line) {
  printf("%s %s", status, line);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "mock-broker: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    fprintf(stderr, "mock-broker: could not create the mock cluster\n");
    return 1;
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof line, stdin)) {
    char name[512];
    int a, b, c;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "topic %511s %d", name, &a) == 2) {
      err = rd_kafka_mock_topic_create(cluster, name, a, 1);
    } else if (sscanf(line, "down %d", &a) == 1) {
      err = rd_kafka_mock_broker_set_down(cluster, a);
    } else if (sscanf(line, "up %d", &a) == 1) {
      err = rd_kafka_mock_broker_set_up(cluster, a);
    } else if (sscanf(line, "errors %d %d %d", &a, &b, &c) == 3) {
      rd_kafka_resp_err_t *errors = calloc((size_t)b, sizeof *errors);
      for (int i = 0; i < b; i++) errors[i] = (rd_kafka_resp_err_t)c;
      rd_kafka_mock_push_request_errors_array(cluster, (int16_t)a, (size_t)b, errors);
      free(errors);
    } else if (sscanf(line, "rtt %d %d", &a, &b) == 2) {
      err = rd_kafka_mock_broker_set_rtt(cluster, a, b);
    } else {
      reply("error unknown command:", line);
      continue;
    }
    if (err) {
      printf("error %s: %s", rd_kafka_err2str(err), line);
      fflush(stdout);
    } else {
      reply("ok", line);
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
