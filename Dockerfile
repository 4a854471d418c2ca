# The production image: docker build -t project-storage-service .
# One image for the service and its movers (SPEC §5): the service starts from the Boot launcher, a mover
# from its own lean layout in /app/mover with an AOT cache trained while the image is built.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY docker docker
RUN mvn -B -q package -DskipTests \
 && java -Djarmode=tools -jar target/project-storage-service-*.jar extract --layers --launcher --destination /app \
 && sh docker/mover-build.sh layout target/classes "/app/dependencies/BOOT-INF/lib/*" /app/mover

# Java 25 for its AOT cache (JEP 483, 514, 515): a mover's JVM lives for one backup or restore, and with its
# classes loaded and linked and its methods profiled ahead of time it started in about half the time and
# moved 20,000 small files 1.1-1.3x faster (bench/RESULTS.md, issue #15). The classes are built for 17.
FROM eclipse-temurin:25-jre
# dependencies change less often than our code: separate layers keep pushes small
COPY --from=build /app/dependencies/ /app/
COPY --from=build /app/spring-boot-loader/ /app/
COPY --from=build /app/snapshot-dependencies/ /app/
COPY --from=build /app/application/ /app/
COPY --from=build /app/mover/ /app/mover/
COPY docker/mover-build.sh /app/mover/
# the cache holds for this java and this class path only: trained here, in the folder the movers run from
RUN sh /app/mover/mover-build.sh train /app/mover
WORKDIR /app
USER 10001
EXPOSE 8080 9090
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
